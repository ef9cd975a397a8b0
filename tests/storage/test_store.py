"""The release store: one contract for every driver, Helm's record format, chunked
records, atomic claims under concurrency, and recovery from a crashed operation."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pyhelm.chart.model import Chart, ChartFile, ChartMetadata
from pyhelm.errors import (
    ReleaseConflictError,
    ReleaseExistsError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
)
from pyhelm.release import codec
from pyhelm.release.model import HookRecord, Info, Release
from pyhelm.release.status import Status
from pyhelm.release.summary import summary_of
from pyhelm.storage.driver import MemoryDriver
from pyhelm.storage.store import LOCK_FIELD, ReleaseStore, driver_for

T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def make_release(name: str = "web", version: int = 1, status: Status = Status.DEPLOYED,
                 namespace: str = "default", payload: bytes = b"") -> Release:
    chart = Chart(ChartMetadata("v2", "demo", "0.1.0", app_version="1.0"),
                  values={"replicas": 1},
                  templates=(ChartFile("templates/cm.yaml", b"kind: ConfigMap\n"),),
                  files=(ChartFile("big.bin", payload),) if payload else ())
    return Release(name=name, namespace=namespace, version=version,
                   info=Info(T0, T0, None, "Install complete", status, "notes here"),
                   chart=chart, config={"replicas": 2}, manifest="---\n# Source: x\nkind: A\n",
                   hooks=[HookRecord("h", "Job", "demo/templates/h.yaml", "kind: Job",
                                     ["pre-install"], 5, ["hook-succeeded"], T0, T0,
                                     "Succeeded")])


# ---------------------------------------------------------------- codec
def test_codec_round_trip_keeps_every_field() -> None:
    release = make_release()
    back = codec.decode(codec.encode(release))
    assert back == release
    assert back.chart.templates == release.chart.templates
    assert back.hooks[0].last_run_phase == "Succeeded"


def test_codec_writes_helms_field_names_and_zero_times() -> None:
    raw = json.loads(gzip.decompress(base64.b64decode(codec.encode(make_release()))))
    assert set(raw) == {"name", "info", "chart", "config", "manifest", "hooks", "version",
                        "namespace"}
    assert raw["info"]["deleted"] == "0001-01-01T00:00:00Z"
    assert raw["info"]["first_deployed"] == "2026-01-02T03:04:05.123456Z"
    assert raw["chart"]["metadata"]["apiVersion"] == "v2"
    assert raw["chart"]["templates"][0]["data"] == base64.b64encode(b"kind: ConfigMap\n").decode()
    assert raw["hooks"][0]["last_run"]["phase"] == "Succeeded"


def test_codec_reads_a_helm_written_record_and_keeps_unknown_fields() -> None:
    helm_json = {
        "name": "h", "namespace": "ns", "version": 3, "manifest": "---\n",
        "info": {"first_deployed": "2025-05-06T07:08:09.123456789+02:00",
                 "last_deployed": "2025-05-06T07:08:09.987654321Z",
                 "deleted": "0001-01-01T00:00:00Z", "status": "superseded",
                 "description": "Upgrade complete"},
        "chart": {"metadata": {"name": "c", "version": "1.0.0", "apiVersion": "v2"},
                  "lock": None, "templates": [], "values": None, "schema": None,
                  "files": [{"name": "README.md", "data": "aGk="}]},
        "config": {"a": 1}, "apply_method": "ssa",
    }
    encoded = base64.b64encode(gzip.compress(json.dumps(helm_json).encode())).decode()
    release = codec.decode(encoded)
    assert release.info.status is Status.SUPERSEDED
    assert release.info.first_deployed == datetime(2025, 5, 6, 5, 8, 9, 123456, tzinfo=UTC)
    assert release.chart.files[0].data == b"hi"
    assert release.extra == {"apply_method": "ssa"}
    again = json.loads(gzip.decompress(base64.b64decode(codec.encode(release))))
    assert again["apply_method"] == "ssa"


# ---------------------------------------------------------------- contract
@pytest.fixture(params=["memory", "secret", "configmap"])
def store(request: pytest.FixtureRequest) -> Iterator[ReleaseStore]:
    if request.param == "memory":
        yield ReleaseStore(MemoryDriver("default"))
        return
    namespace = request.getfixturevalue("namespace")
    kubeconfig = request.getfixturevalue("kubeconfig")
    from pyhelm.kube.client import connect

    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    request.node.add_marker(pytest.mark.cluster)
    yield ReleaseStore(driver_for(request.param, kube, namespace))
    kube.close()


def _ns(store: ReleaseStore) -> str:
    return getattr(store.driver, "namespace", "") or "default"


def test_contract_create_get_history_update_delete(store: ReleaseStore) -> None:
    ns = _ns(store)
    store.create(make_release(namespace=ns))
    store.create(make_release(version=2, status=Status.PENDING_UPGRADE, namespace=ns))
    with pytest.raises(ReleaseExistsError):
        store.create(make_release(version=2, namespace=ns))
    assert [r.version for r in store.history("web")] == [1, 2]
    assert store.get("web", 2).info.status is Status.PENDING_UPGRADE
    assert store.get("web", 2).extra[LOCK_FIELD]["owner"] == store.owner
    done = make_release(version=2, status=Status.DEPLOYED, namespace=ns)
    store.update(done)
    assert LOCK_FIELD not in store.get("web", 2).extra
    assert store.last("web").version == 2 and store.deployed("web").version == 2
    store.delete("web", 1)
    assert [r.version for r in store.history("web")] == [2]
    with pytest.raises(ReleaseNotFoundError):
        store.get("web", 1)
    with pytest.raises(ReleaseNotFoundError):
        store.last("other")


def test_contract_list_shows_the_newest_revision_of_each_release(store: ReleaseStore) -> None:
    ns = _ns(store)
    for version in (1, 2, 3):
        store.create(make_release("a", version, Status.SUPERSEDED, ns))
    store.create(make_release("b", 1, Status.FAILED, ns))
    listed = {(r.name, r.version, r.info.status) for r in store.list_releases()}
    assert listed == {("a", 3, Status.SUPERSEDED), ("b", 1, Status.FAILED)}
    assert [r.name for r in store.list_releases([Status.FAILED])] == ["b"]


def test_contract_prune_keeps_the_newest_and_the_deployed(store: ReleaseStore) -> None:
    ns = _ns(store)
    store.create(make_release("p", 1, Status.DEPLOYED, ns))
    for version in range(2, 6):
        store.create(make_release("p", version, Status.FAILED, ns))
    removed = store.prune("p", 3)
    assert removed == [2, 3]
    assert [r.version for r in store.history("p")] == [1, 4, 5]


def test_contract_a_remembered_history_is_read_once_and_never_overwrites_a_newer_write(
        store: ReleaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = _ns(store)
    store.create(make_release("m", 1, Status.DEPLOYED, ns))
    other = ReleaseStore(store.driver)  # another operation's store
    reads: list[str] = []
    read = store.driver.history
    monkeypatch.setattr(store.driver, "history", lambda name: reads.append(name) or read(name))
    with store.remembering():
        [first] = store.history("m")
        changed = dataclasses.replace(other.get("m", 1), info=dataclasses.replace(
            first.info, description="changed by another"))
        other.update(changed)
        assert store.history("m") == [first] and store.last("m") == first
        assert reads == ["m"]
        store.create(make_release("m", 2, Status.PENDING_UPGRADE, ns))  # own writes are seen
        assert [(r.version, r.info.status) for r in store.history("m")] == [
            (1, Status.DEPLOYED), (2, Status.PENDING_UPGRADE)]
        superseded = dataclasses.replace(first, info=dataclasses.replace(
            first.info, status=Status.SUPERSEDED))
        with pytest.raises(ReleaseConflictError):  # stale: refused, not written over
            store.update(superseded)
        assert store.history("m", fresh=True)[0].info.description == "changed by another"
        assert reads == ["m", "m"]
    assert store.history("m")[0].info.description == "changed by another"
    assert reads == ["m", "m", "m"]  # outside the block every read goes to the server


# ---------------------------------------------------------------- beyond Helm
@pytest.mark.cluster
def test_a_2_mib_record_is_stored_in_parts_and_read_back_intact(
        kubeconfig: str, namespace: str) -> None:
    from pyhelm.kube.client import connect

    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    store = ReleaseStore(driver_for("secret", kube, namespace))
    payload = os.urandom(2 * 1024 * 1024)  # incompressible: 4 parts
    made = make_release(namespace=namespace, payload=payload)
    store.create(dataclasses.replace(made, info=dataclasses.replace(made.info,
                                                                    rollback_revision=3)))
    secrets = {s["metadata"]["name"] for s in kube.list("v1", "Secret", namespace)}
    assert "sh.helm.release.v1.web.v1" in secrets
    assert len([n for n in secrets if n.startswith("sh.helm.release.v1.web.v1.")]) == 4
    assert store.get("web", 1).chart.files[0].data == payload
    assert [r.version for r in store.list_releases()] == [1]
    # what list and history print is on the head, and follows its status changes
    whole = store.get("web", 1)
    assert store.list_summaries() == store.history_summaries("web") == [summary_of(whole)]
    store.update(dataclasses.replace(whole, info=dataclasses.replace(
        whole.info, status=Status.SUPERSEDED, description="Superseded")))
    again = summary_of(store.get("web", 1))
    assert again.status is Status.SUPERSEDED and again.description == "Superseded"
    assert again.rollback_revision == store.get("web", 1).info.rollback_revision == 3
    assert store.list_summaries() == store.history_summaries("web") == [again]
    store.delete("web", 1)
    assert not [s for s in kube.list("v1", "Secret", namespace)
                if s["metadata"]["name"].startswith("sh.helm.release.v1.web")]


def test_two_claims_of_one_revision_exactly_one_wins(store: ReleaseStore) -> None:
    ns = _ns(store)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def claim() -> None:
        barrier.wait()
        try:
            store.create(make_release(version=7, status=Status.PENDING_UPGRADE, namespace=ns))
            outcomes.append("won")
        except ReleaseExistsError:
            outcomes.append("lost")

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "won"]


def test_a_live_lock_refuses_with_owner_and_time_and_an_expired_one_is_recovered() -> None:
    now = [T0]
    store = ReleaseStore(MemoryDriver("default"), clock=lambda: now[0],
                         owner="pyhelm@elsewhere/1", lease=timedelta(minutes=5))
    store.create(make_release(version=2, status=Status.PENDING_UPGRADE))
    pending = store.last("web")
    with pytest.raises(ReleaseInProgressError,
                       match="by pyhelm@elsewhere/1 since 2026-01-02T03:04:05"):
        store.check_not_busy(pending)
    assert store.recover("web") is None  # still within its lease
    now[0] = T0 + timedelta(minutes=6)
    message = store.recover("web")
    assert message and message.startswith("recovered: pending-upgrade by pyhelm@elsewhere/1")
    assert store.last("web").info.status is Status.FAILED
    store.check_not_busy(store.last("web"))


@pytest.mark.cluster
def test_a_killed_operation_is_recovered_by_the_next_one(kubeconfig: str,
                                                         namespace: str) -> None:
    script = f"""
import os, sys, time
from datetime import UTC, datetime
sys.path.insert(0, {os.path.dirname(__file__)!r})
from test_store import make_release
from pyhelm.kube.client import connect
from pyhelm.release.status import Status
from pyhelm.release.summary import summary_of
from pyhelm.storage.store import ReleaseStore, driver_for
kube = connect(kubeconfig={kubeconfig!r}, namespace={namespace!r})
store = ReleaseStore(driver_for("secret", kube, {namespace!r}))
store.create(make_release(version=2, status=Status.PENDING_UPGRADE, namespace={namespace!r}))
print("claimed", flush=True)
time.sleep(600)
"""
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "claimed"
        from pyhelm.kube.client import connect

        store = ReleaseStore(driver_for("secret", connect(kubeconfig=kubeconfig,
                                                          namespace=namespace), namespace))
        with pytest.raises(ReleaseInProgressError, match=f"by pyhelm@.*/{worker.pid} since"):
            store.check_not_busy(store.last("web"))
        assert store.recover("web") is None
    finally:
        worker.kill()
        worker.wait()
        if worker.stdout:
            worker.stdout.close()
    message = store.recover("web")
    assert message is not None and "did not finish" in message
    assert store.last("web").info.status is Status.FAILED
