"""Drift found by watching, not by the interval: one watch per kind of object that a
release with drift detection manages, selecting the objects by the origin label every
release's objects carry (``helm.toolkit.fluxcd.io/name``). A change to what an object
holds (not its status, nor the server's bookkeeping) or its deletion queues its
HelmRelease, whose reconcile then looks for drift and corrects or reports it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pyhelm.controller.drift import comparable
from pyhelm.controller.postrender import ORIGIN_NAME, ORIGIN_NAMESPACE
from pyhelm.controller.reconcile import StatusKubeClient
from pyhelm.errors import PyhelmError

WATCH_WINDOW = 300
RETRY_PAUSE = 2.0
Kind = tuple[str, str]  # (apiVersion, kind)
Seen = tuple[str, str | None]  # an object's fingerprint and its HelmRelease's key


def fingerprint(obj: Mapping[str, Any]) -> str:
    """What an object holds, as a short digest: equal for status-only changes."""
    text = json.dumps(comparable(obj), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def owner_key(obj: Mapping[str, Any]) -> str | None:
    """``namespace/name`` of the HelmRelease the object belongs to, by its origin labels."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    name, namespace = labels.get(ORIGIN_NAME), labels.get(ORIGIN_NAMESPACE)
    return f"{namespace}/{name}" if name and namespace else None


def _object_id(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name')}"


class DriftWatcher:
    """Starts a watch for each kind it is told about, once; ``enqueue`` gets the
    HelmRelease key of every object that changed or went away."""

    def __init__(self, kube_factory: Callable[[], StatusKubeClient],
                 enqueue: Callable[[str], None], stopping: threading.Event,
                 log: Callable[[str], None] | None = None) -> None:
        self.kube_factory, self.enqueue, self.stopping = kube_factory, enqueue, stopping
        self.log = log or (lambda _: None)
        self._kinds: set[Kind] = set()
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def watch(self, kinds: Iterable[Kind]) -> None:
        with self._lock:
            new = [k for k in kinds if k not in self._kinds]
            self._kinds.update(new)
        for kind in new:
            thread = threading.Thread(target=self._run, args=(kind,), daemon=True,
                                      name=f"drift-{kind[1]}")
            self.threads.append(thread)
            thread.start()

    def _run(self, kind: Kind) -> None:
        seen: dict[str, Seen] = {}
        while not self.stopping.is_set():
            try:
                self._follow(self.kube_factory(), kind, seen)
            except PyhelmError as exc:
                self.log(f"drift watch {kind[1]}: {exc}; listing again")
                self.stopping.wait(RETRY_PAUSE)

    def _follow(self, kube: StatusKubeClient, kind: Kind, seen: dict[str, Seen]) -> None:
        api_version, name = kind
        items, version = kube.list_with_version(api_version, name, None,
                                                label_selector=ORIGIN_NAME)
        fresh = {_object_id(o): (fingerprint(o), owner_key(o)) for o in items}
        # what changed or went away while the watch was down is drift too
        for ident, (print_before, owner) in seen.items():
            if owner and (ident not in fresh or fresh[ident][0] != print_before):
                self.enqueue(owner)
        seen.clear()
        seen.update(fresh)
        while not self.stopping.is_set():
            for event in kube.watch(api_version, name, None, label_selector=ORIGIN_NAME,
                                    resource_version=version or None,
                                    timeout_seconds=WATCH_WINDOW):
                obj = event.object
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                self._event(event.type, obj, seen)
                if self.stopping.is_set():
                    return

    def _event(self, kind: str, obj: Mapping[str, Any], seen: dict[str, Seen]) -> None:
        ident, owner = _object_id(obj), owner_key(obj)
        if kind == "DELETED":
            seen.pop(ident, None)
            if owner:
                self.enqueue(owner)
            return
        if kind not in ("ADDED", "MODIFIED"):
            return
        now = fingerprint(obj)
        before = seen.get(ident)
        seen[ident] = (now, owner)
        if before is not None and before[0] != now and owner:
            self.enqueue(owner)
