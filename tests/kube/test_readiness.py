"""Helm's readiness rules on status shapes the API server writes."""

from __future__ import annotations

from typing import Any

import pytest

from pyhelm.kube.readiness import readiness


def _deployment(replicas: int, updated: int, available: int, generation: int = 2,
                observed: int = 2, **spec: Any) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"generation": generation},
            "spec": {"replicas": replicas, **spec},
            "status": {"observedGeneration": observed, "updatedReplicas": updated,
                       "availableReplicas": available}}


@pytest.mark.parametrize(("obj", "ready", "reason"), [
    (_deployment(3, 3, 3), True, ""),
    (_deployment(3, 3, 3, generation=3), False, "has not seen the latest spec"),
    (_deployment(3, 2, 3), False, "2/3 replicas updated"),
    (_deployment(4, 4, 3), True, ""),  # default maxUnavailable 25% of 4 = 1
    (_deployment(4, 4, 3, strategy={"type": "Recreate"}), False, "3/4 replicas available"),
    ({"kind": "ReplicaSet", "spec": {"replicas": 2}, "status": {"readyReplicas": 1}}, False,
     "1/2 replicas ready"),
    ({"kind": "StatefulSet", "spec": {"replicas": 2}, "status": {
        "updatedReplicas": 2, "readyReplicas": 2, "currentRevision": "a",
        "updateRevision": "b"}}, False, "not finished"),
    ({"kind": "StatefulSet", "spec": {"replicas": 2, "updateStrategy": {
        "rollingUpdate": {"partition": 1}}}, "status": {"updatedReplicas": 1,
                                                         "readyReplicas": 2}}, True, ""),
    ({"kind": "DaemonSet", "status": {"desiredNumberScheduled": 3,
                                      "updatedNumberScheduled": 3, "numberAvailable": 2}},
     False, "2/3 pods available"),
    ({"kind": "Pod", "status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True"}]}}, True, ""),
    ({"kind": "Pod", "status": {"phase": "Pending"}}, False, "pod is Pending"),
    ({"kind": "Pod", "status": {"phase": "Succeeded"}}, True, ""),
    ({"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
     True, ""),
    ({"kind": "Job", "spec": {"completions": 2}, "status": {"succeeded": 1}}, False,
     "1/2 completions"),
    ({"kind": "Service", "spec": {"clusterIP": "10.96.0.9"}}, True, ""),
    ({"kind": "Service", "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.9"}}, False,
     "load balancer"),
    ({"kind": "Service", "spec": {"type": "ExternalName"}}, True, ""),
    ({"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}}, False, "Pending"),
    ({"kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}}, True, ""),
    ({"kind": "CustomResourceDefinition", "status": {"conditions": [
        {"type": "Established", "status": "True"}]}}, True, ""),
    ({"kind": "ConfigMap"}, True, ""),
])
def test_rules(obj: dict[str, Any], ready: bool, reason: str) -> None:
    result = readiness(obj)
    assert result.ready is ready
    assert reason in result.reason


def test_failures_are_final_and_jobs_can_be_ignored() -> None:
    failed_job = {"kind": "Job", "status": {"conditions": [
        {"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}}
    result = readiness(failed_job)
    assert result.failed and result.reason == "BackoffLimitExceeded"
    assert readiness(failed_job, wait_for_jobs=False).ready
    assert readiness({"kind": "Pod", "status": {"phase": "Failed"}}).failed
