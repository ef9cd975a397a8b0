"""The Event a reconcile result records (type, reason, involvedObject, reporter; none
for a step that changed nothing) and the controller-runtime metrics rendered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pyhelm.controller.events import EventRecorder, event_for
from pyhelm.controller.loop import WorkQueue
from pyhelm.controller.probes import Metrics
from pyhelm.controller.reconcile import ReconcileResult
from pyhelm.errors import KubeForbiddenError, KubeNotFoundError

HR = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
      "metadata": {"name": "web", "namespace": "apps", "uid": "u-1",
                   "resourceVersion": "42"}}


def _result(action: str, ready: bool, reason: str, message: str = "done") -> ReconcileResult:
    return ReconcileResult(key="apps/web", action=action, ready=ready, reason=reason,
                           message=message, revision=3 if ready else None)


def test_an_install_is_a_normal_event_on_the_helmrelease() -> None:
    event = event_for(HR, _result("install", True, "InstallSucceeded",
                                  "Helm install succeeded"), "node-1_abc",
                      now=datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    assert event is not None
    assert event["type"] == "Normal" and event["reason"] == "InstallSucceeded"
    assert event["involvedObject"] == {
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "name": "web",
        "namespace": "apps", "uid": "u-1", "resourceVersion": "42"}
    assert event["metadata"]["namespace"] == "apps"
    assert event["metadata"]["name"].startswith("web.")
    assert event["metadata"]["annotations"] == {"helm.toolkit.fluxcd.io/revision": "3"}
    assert event["source"] == {"component": "pyhelm-controller", "host": "node-1"}
    assert event["reportingComponent"] == "pyhelm-controller"
    assert event["reportingInstance"] == "node-1_abc"
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-12-07T16:00:00Z"


def test_failures_are_warnings_and_no_ops_record_nothing() -> None:
    failed = event_for(HR, _result("failed", False, "UpgradeFailed", "x" * 5000), "i")
    assert failed is not None and failed["type"] == "Warning"
    assert failed["reason"] == "UpgradeFailed" and len(failed["message"]) == 1024
    assert event_for(HR, _result("unchanged", True, "Unchanged"), "i") is None
    assert event_for(HR, _result("suspended", False, "Suspended"), "i") is None


def test_an_event_that_cannot_be_written_is_logged_not_raised() -> None:
    logged: list[str] = []

    class Refusing:
        def create(self, obj: dict[str, Any]) -> dict[str, Any]:
            raise KubeForbiddenError("events is forbidden")

        def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
            raise KubeForbiddenError("events is forbidden")

    recorder = EventRecorder(Refusing, "i", log=logged.append)
    recorder.record(HR, _result("install", True, "InstallSucceeded"))
    assert logged and "cannot record Event InstallSucceeded" in logged[0]


def test_the_same_result_again_counts_on_the_event_written() -> None:
    class Store:
        def __init__(self) -> None:
            self.events: dict[str, dict[str, Any]] = {}

        def create(self, obj: dict[str, Any]) -> dict[str, Any]:
            self.events[obj["metadata"]["name"]] = {**obj, "metadata": {
                **obj["metadata"], "resourceVersion": "1"}}
            return self.events[obj["metadata"]["name"]]

        def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
            if obj["metadata"]["name"] not in self.events:
                raise KubeNotFoundError("gone")
            self.events[obj["metadata"]["name"]] = obj
            return obj

    store = Store()
    recorder = EventRecorder(lambda: store, "i")
    failing = _result("failed", False, "ArtifactFailed", "source not ready")
    for _ in range(3):
        recorder.record(HR, failing)
    assert [e["count"] for e in store.events.values()] == [3]
    recorder.record(HR, _result("failed", False, "ArtifactFailed", "another message"))
    recorder.record(HR, _result("install", True, "InstallSucceeded"))
    assert len(store.events) == 3
    store.events.clear()  # expired (the API server's Event TTL): written anew
    recorder.record(HR, failing)
    recorder.record(HR, failing)
    assert len(store.events) == 1


def test_controller_runtime_metrics() -> None:
    metrics, queue = Metrics(), WorkQueue()
    metrics.gauge("workqueue_depth", "Current depth of workqueue", 'name="helmrelease"',
                  lambda: float(queue.depth()))
    queue.add("a/b")
    queue.add("a/c")
    metrics.outcome("success")
    metrics.outcome("error")
    metrics.outcome("error")
    text = metrics.render()
    assert 'controller_runtime_reconcile_total{controller="helmrelease",result="error"} 2' \
        in text
    assert "# TYPE workqueue_depth gauge" in text
    assert 'workqueue_depth{name="helmrelease"} 2' in text
    assert queue.get() == "a/b"
    assert 'workqueue_depth{name="helmrelease"} 1' in metrics.render()
    assert "# TYPE rest_client_requests_total counter" in text
