"""Kubernetes Events for reconcile results, as Flux's controllers record them: a core
``v1`` Event on the HelmRelease (``involvedObject``), ``type`` Normal for a release that
is Ready and Warning otherwise, ``reason`` the result's (``InstallSucceeded``,
``UpgradeFailed``, ``ArtifactFailed``, ...), the result's message. ``kubectl events``,
``kubectl describe`` and ``flux events`` list them.

``source.component`` and ``reportingComponent`` are ``pyhelm-controller``, not
``helm-controller``: an Event says who acted, and an operator reading one next to Flux's
own must be able to tell which controller made the release (the reasons and the
``involvedObject`` are helm-controller's, so filters on those work unchanged).

A step that changed nothing (``unchanged``) or a suspended release records no Event,
as helm-controller records none for a no-op. The same result again (a release failing
at every retry) counts on the Event already written. An Event that cannot be written is logged
and dropped: it never fails a reconcile.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from pyhelm.controller.reconcile import ReconcileResult
from pyhelm.errors import PyhelmError

COMPONENT = "pyhelm-controller"
QUIET_ACTIONS = frozenset({"unchanged", "suspended"})
MAX_MESSAGE = 1024  # the API server refuses longer Event messages (validation: 1 KiB)


class EventClient(Protocol):
    def create(self, obj: dict[str, Any]) -> dict[str, Any]: ...

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]: ...


def event_for(obj: Mapping[str, Any], result: ReconcileResult, instance: str,
              now: datetime | None = None) -> dict[str, Any] | None:
    """The Event recording ``result`` for the HelmRelease ``obj``, or None when the step
    is not one to record."""
    if result.action in QUIET_ACTIONS:
        return None
    meta = obj.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    moment = now or datetime.now(UTC)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = result.message if len(result.message) <= MAX_MESSAGE else \
        result.message[:MAX_MESSAGE - 3] + "..."
    annotations = {}
    if result.revision is not None:
        annotations["helm.toolkit.fluxcd.io/revision"] = str(result.revision)
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{time.time_ns():x}", "namespace": namespace,
                     **({"annotations": annotations} if annotations else {})},
        "involvedObject": {"apiVersion": str(obj.get("apiVersion") or ""),
                           "kind": str(obj.get("kind") or ""), "name": name,
                           "namespace": namespace, "uid": str(meta.get("uid") or ""),
                           "resourceVersion": str(meta.get("resourceVersion") or "")},
        "type": "Normal" if result.ready else "Warning",
        "reason": result.reason or result.action, "message": message,
        "source": {"component": COMPONENT, "host": instance.rsplit("_", 1)[0]},
        "reportingComponent": COMPONENT, "reportingInstance": instance[:128],
        "firstTimestamp": stamp, "lastTimestamp": stamp,
        "action": result.action, "count": 1}


class EventRecorder:
    """Writes one Event per recorded result; ``record`` is the loop's hook. A result
    like the last one recorded for the same HelmRelease (same type, reason and message:
    a release failing on every retry) updates that Event's ``count`` and
    ``lastTimestamp`` instead of writing a new one, as client-go's recorder aggregates."""

    def __init__(self, kube_factory: Callable[[], EventClient], instance: str,
                 log: Callable[[str], None] | None = None, remember: int = 4096) -> None:
        self.kube_factory, self.instance = kube_factory, instance
        self.log = log or (lambda _: None)
        self._local = threading.local()  # a client per worker thread
        self._remember = remember
        self._last: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, obj: Mapping[str, Any], result: ReconcileResult) -> None:
        event = event_for(obj, result, self.instance)
        if event is None:
            return
        ref = event["involvedObject"]
        key = (ref["namespace"], ref["name"], event["type"], event["reason"])
        try:
            kube: EventClient | None = getattr(self._local, "kube", None)
            if kube is None:
                kube = self._local.kube = self.kube_factory()
            with self._lock:
                last = self._last.get(key)
            written = None
            if last is not None and last.get("message") == event["message"]:
                again = {**last, "count": int(last.get("count") or 1) + 1,
                         "lastTimestamp": event["lastTimestamp"]}
                try:
                    written = kube.replace(again)
                except PyhelmError:
                    written = None  # gone (the Event TTL) or changed: write a new one
            if written is None:
                written = kube.create(event)
            with self._lock:
                self._last[key] = dict(written)
                self._last.move_to_end(key)
                while len(self._last) > self._remember:
                    self._last.popitem(last=False)
        except PyhelmError as exc:
            self.log(f"{result.key}: cannot record Event {event['reason']}: {exc}")
