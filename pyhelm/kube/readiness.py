"""When is an object ready? Helm's ReadyChecker rules, as pure functions of its JSON.

``readiness(obj)`` answers ``Readiness(ready, failed, reason)``: a failed Job is
``failed`` (waiting longer will not help). ``check(obj)`` is the (ready, reason) pair.
Kinds without a rule are ready once they exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    failed: bool = False
    reason: str = ""


READY = Readiness(True)


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in _status(obj).get("conditions") or [] if c.get("type") == kind), None)


def _observed(obj: Obj) -> Readiness | None:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = _status(obj).get("observedGeneration")
    if generation is not None and (observed is None or observed < generation):
        return Readiness(False, reason="the controller has not seen the latest spec")
    return None


def _percent_or_int(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100
        return int(-(-exact // 1)) if round_up else int(exact)
    return int(value or 0)


def _deployment(obj: Obj) -> Readiness:
    if pending := _observed(obj):
        return pending
    spec, status = obj.get("spec") or {}, _status(obj)
    replicas = int(spec.get("replicas", 1))
    if spec.get("paused"):
        return READY
    strategy = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    max_unavailable = _percent_or_int(strategy.get("maxUnavailable", "25%"), replicas, False)
    if (spec.get("strategy") or {}).get("type") == "Recreate":
        max_unavailable = 0
    updated = int(status.get("updatedReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    if updated < replicas:
        return Readiness(False, reason=f"{updated}/{replicas} replicas updated")
    if available < replicas - max_unavailable:
        return Readiness(False, reason=f"{available}/{replicas} replicas available")
    return READY


def _replicaset(obj: Obj) -> Readiness:
    if pending := _observed(obj):
        return pending
    replicas = int((obj.get("spec") or {}).get("replicas", 1))
    ready = int(_status(obj).get("readyReplicas") or 0)
    if ready < replicas:
        return Readiness(False, reason=f"{ready}/{replicas} replicas ready")
    return READY


def _statefulset(obj: Obj) -> Readiness:
    if pending := _observed(obj):
        return pending
    spec, status = obj.get("spec") or {}, _status(obj)
    replicas = int(spec.get("replicas", 1))
    partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {})
                    .get("partition") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    ready = int(status.get("readyReplicas") or 0)
    if updated < replicas - partition:
        return Readiness(False, reason=f"{updated}/{replicas - partition} replicas updated")
    if ready < replicas:
        return Readiness(False, reason=f"{ready}/{replicas} replicas ready")
    if partition == 0 and status.get("currentRevision") != status.get("updateRevision"):
        return Readiness(False, reason="the rollout to the new revision is not finished")
    return READY


def _daemonset(obj: Obj) -> Readiness:
    if pending := _observed(obj):
        return pending
    status = _status(obj)
    desired = int(status.get("desiredNumberScheduled") or 0)
    updated = int(status.get("updatedNumberScheduled") or 0)
    available = int(status.get("numberAvailable") or 0)
    if updated < desired or available < desired:
        return Readiness(False, reason=f"{available}/{desired} pods available")
    return READY


def _pod(obj: Obj) -> Readiness:
    phase = _status(obj).get("phase")
    if phase == "Succeeded":
        return READY
    if phase == "Failed":
        return Readiness(False, failed=True, reason=_status(obj).get("reason") or "pod failed")
    condition = _condition(obj, "Ready")
    if condition and condition.get("status") == "True":
        return READY
    return Readiness(False, reason=f"pod is {phase or 'Pending'}")


def _job(obj: Obj) -> Readiness:
    failed = _condition(obj, "Failed")
    if failed and failed.get("status") == "True":
        return Readiness(False, failed=True,
                         reason=failed.get("message") or failed.get("reason") or "job failed")
    complete = _condition(obj, "Complete")
    if complete and complete.get("status") == "True":
        return READY
    succeeded = int(_status(obj).get("succeeded") or 0)
    completions = int((obj.get("spec") or {}).get("completions") or 1)
    return Readiness(False, reason=f"{succeeded}/{completions} completions")


def _service(obj: Obj) -> Readiness:
    spec = obj.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return READY
    if not spec.get("clusterIP"):
        return Readiness(False, reason="no cluster IP assigned yet")
    if spec.get("type") == "LoadBalancer" and not (
            (_status(obj).get("loadBalancer") or {}).get("ingress")):
        return Readiness(False, reason="waiting for a load balancer address")
    return READY


def _pvc(obj: Obj) -> Readiness:
    phase = _status(obj).get("phase")
    return READY if phase == "Bound" else Readiness(False, reason=f"claim is {phase or 'Pending'}")


def _crd(obj: Obj) -> Readiness:
    condition = _condition(obj, "Established")
    if condition and condition.get("status") == "True":
        return READY
    return Readiness(False, reason="not established yet")


RULES: dict[str, Callable[[Obj], Readiness]] = {
    "Deployment": _deployment, "ReplicaSet": _replicaset, "StatefulSet": _statefulset,
    "DaemonSet": _daemonset, "Pod": _pod, "Job": _job, "Service": _service,
    "PersistentVolumeClaim": _pvc, "CustomResourceDefinition": _crd,
}


def readiness(obj: Obj, *, wait_for_jobs: bool = True) -> Readiness:
    kind = obj.get("kind", "")
    if kind == "Job" and not wait_for_jobs:
        return READY
    rule = RULES.get(kind)
    return rule(obj) if rule else READY


def check(obj: Obj) -> tuple[bool, str]:
    result = readiness(obj)
    return result.ready, result.reason
