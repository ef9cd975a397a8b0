"""reconcile_release without a cluster: the steps that fail before Helm runs write
Ready=False with the reason and a clear message; artifacts are checked against their
digest; the work queue never hands one key to two workers."""

from __future__ import annotations

import copy
import hashlib
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyhelm.controller.artifact import Artifact, fetch_artifact, verify_digest
from pyhelm.controller.loop import WorkQueue
from pyhelm.controller.reconcile import reconcile_release
from pyhelm.controller.status import Condition, config_digest, set_conditions
from pyhelm.errors import ArtifactError, KubeNotFoundError

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class FakeKube:
    """get() on a dict, no release records, and a record of status patches: all
    these steps need."""

    namespace = "apps"

    def __init__(self, *objects: dict[str, Any]) -> None:
        self.objects = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o
                        for o in objects}
        self.patches: list[dict[str, Any]] = []

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        try:
            return copy.deepcopy(self.objects[(kind, namespace or "", name)])
        except KeyError:
            raise KubeNotFoundError(f'{kind} "{name}" not found') from None

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict[str, Any]]:
        return []  # no release records yet

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        self.objects[(obj["kind"], meta["namespace"], meta["name"])] = copy.deepcopy(obj)
        return obj

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str,
                     status: dict[str, Any]) -> dict[str, Any]:
        self.patches.append(copy.deepcopy(status))
        return {}


def _hr(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "web", "namespace": "apps", "generation": 2},
            "spec": {"interval": "5m", "chartRef": {"kind": "OCIRepository",
                                                    "name": "podinfo"}, **spec}}


def _source(ready: bool, artifact: dict[str, Any] | None) -> dict[str, Any]:
    status: dict[str, Any] = {"conditions": [{"type": "Ready",
                                              "status": "True" if ready else "False",
                                              "message": "failed to pull: 404"}]}
    if artifact:
        status["artifact"] = artifact
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
            "metadata": {"name": "podinfo", "namespace": "apps"}, "status": status}


def _ready(patch: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in patch["conditions"] if c["type"] == "Ready")


def test_missing_source_is_ready_false_with_its_name() -> None:
    kube = FakeKube()
    result = reconcile_release(kube, _hr(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert (result.action, result.ready, result.reason) == ("failed", False, "ArtifactFailed")
    ready = _ready(kube.patches[-1])
    assert ready["status"] == "False" and ready["reason"] == "ArtifactFailed"
    assert "could not get source object OCIRepository/apps/podinfo" in ready["message"]
    assert ready["observedGeneration"] == 2 and ready["lastTransitionTime"] == \
        "2026-12-07T12:00:00Z"
    # a source without an artifact is looked at again soon, not after the interval
    assert kube.patches[-1]["failures"] == 1 and result.requeue_after == 5.0


def test_the_finalizer_is_added_and_a_deleted_release_let_go() -> None:
    kube = FakeKube(_hr())
    reconcile_release(kube, _hr(), clock=lambda: NOW)  # type: ignore[arg-type]
    stored = kube.objects[("HelmRelease", "apps", "web")]
    assert stored["metadata"]["finalizers"] == ["finalizers.fluxcd.io"]
    stored["metadata"]["deletionTimestamp"] = "2026-12-07T12:00:00Z"
    stored["spec"]["suspend"] = True  # suspended: no uninstall, only the finalizer goes
    result = reconcile_release(kube, copy.deepcopy(stored),  # type: ignore[arg-type]
                               clock=lambda: NOW)
    assert result.action == "uninstall"
    assert kube.objects[("HelmRelease", "apps", "web")]["metadata"]["finalizers"] == []


def test_source_not_ready_says_why() -> None:
    kube = FakeKube(_source(False, None))
    result = reconcile_release(kube, _hr(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert "OCIRepository/apps/podinfo has no artifact yet: failed to pull: 404" in \
        result.message


def test_invalid_spec_is_reported_not_raised() -> None:
    kube = FakeKube()
    result = reconcile_release(kube, _hr(interval="soon"),  # type: ignore[arg-type]
                               clock=lambda: NOW)
    assert result.reason == "InvalidSpec" and "spec.interval" in result.message
    assert result.requeue_after is None


def test_suspended_release_is_left_alone() -> None:
    kube = FakeKube()
    result = reconcile_release(kube, _hr(suspend=True),  # type: ignore[arg-type]
                               clock=lambda: NOW)
    assert result.action == "suspended" and kube.patches == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    payload = b"not really a chart"
    (tmp_path / "chart.tgz").write_bytes(payload)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/chart.tgz", payload
    server.shutdown()
    server.server_close()


def test_artifact_is_downloaded_and_verified(served: tuple[str, bytes], tmp_path: Path
                                             ) -> None:
    url, payload = served
    good = "sha256:" + hashlib.sha256(payload).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    path = fetch_artifact(Artifact(url=url, digest=good, revision="0.1.0@" + good), out)
    assert path.read_bytes() == payload and path.name == "chart.tgz"
    bad = "sha256:" + "0" * 64
    with pytest.raises(ArtifactError, match="artifact digest mismatch: expected sha256:000"):
        fetch_artifact(Artifact(url=url, digest=bad, revision="x"), out)


def test_digest_mismatch_fails_the_release_before_helm_runs(served: tuple[str, bytes]
                                                            ) -> None:
    url, _ = served
    kube = FakeKube(_source(True, {"url": url, "digest": "sha256:" + "1" * 64,
                                   "revision": "0.1.0@sha256:abc"}))
    # no records: an install, which must not start with a chart that fails its digest
    result = reconcile_release(kube, _hr(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert result.reason == "ArtifactFailed" and "digest mismatch" in result.message


def test_unsupported_digest_algorithm() -> None:
    with pytest.raises(ArtifactError, match="unsupported artifact digest 'md5:"):
        verify_digest(b"x", "md5:abc")


def test_conditions_keep_transition_time_while_status_holds() -> None:
    later = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    first = set_conditions([], [Condition(type="Released", status=True, reason="A",
                                          message="m"),
                                Condition(type="Ready", status=True, reason="A",
                                          message="m")], 1, NOW)
    assert [c["type"] for c in first] == ["Ready", "Released"]
    same = set_conditions(first, [Condition(type="Ready", status=True, reason="B",
                                            message="n")], 2, later)
    assert same[0]["lastTransitionTime"] == "2026-12-07T12:00:00Z"
    assert same[0]["reason"] == "B" and same[0]["observedGeneration"] == 2
    moved = set_conditions(same, [Condition(type="Ready", status=False, reason="C",
                                            message="o")], 3, later)
    assert moved[0]["lastTransitionTime"] == "2026-12-07T13:00:00Z"


def test_config_digest_is_canonical_json() -> None:
    assert config_digest({"b": 1, "a": [1, "x"]}) == "sha256:" + hashlib.sha256(
        b'{"a":[1,"x"],"b":1}').hexdigest()
    assert config_digest({}) == "sha256:" + hashlib.sha256(b"{}").hexdigest()


def test_work_queue_never_runs_a_key_twice_at_once() -> None:
    queue = WorkQueue()
    queue.add("a/x")
    queue.add("a/x")
    queue.add("a/y")
    assert queue.get() == "a/x"
    queue.add("a/x")  # while in flight: runs once more after done()
    assert queue.get() == "a/y"
    queue.done("a/y")
    queue.done("a/x")
    assert queue.get() == "a/x"
    queue.add_after("a/z", 0.0)
    queue.done("a/x")
    assert queue.get() == "a/z"
    queue.close()
    assert queue.get() is None
