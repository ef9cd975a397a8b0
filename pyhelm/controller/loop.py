"""The controller loop around ``reconcile_release``: list then watch HelmRelease
objects, a de-duplicating work queue keyed by namespace/name, ``concurrent`` releases
worked on at once (one release at a time per key), each release queued again after its
``spec.interval`` or when it changes.

Fairness: a release waiting for its objects to be ready (``--wait``) gives its slot
back while it waits, so releases that hang never hold up the others: there are
``concurrent`` slots for work and ``waiting`` more threads that may be blocked in a wait.
A new generation of a release whose wait is under way ends that wait
(``WaitCancelledError``) and the new spec is reconciled at once.
``stop()`` (SIGTERM in the CLI) ends it: workers finish the step they are in, and a
step waiting for readiness stops waiting (its release is failed, to be tried again).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyhelm.controller.drift_watch import DriftWatcher
from pyhelm.controller.probes import Metrics
from pyhelm.controller.reconcile import ReconcileResult, StatusKubeClient, reconcile_release
from pyhelm.controller.spec import API_VERSION, KIND
from pyhelm.errors import PyhelmError
from pyhelm.kube.wait import waiting_in

Reconcile = Callable[[StatusKubeClient, dict[str, Any]], ReconcileResult]
# a failed status write or API error is tried again after this many seconds
ERROR_REQUEUE = 10.0
WATCH_WINDOW = 60


@dataclass
class ControllerOptions:
    namespace: str | None  # None: every namespace
    concurrent: int = 4
    label_selector: str | None = None
    waiting: int = 100  # releases that may be waiting for readiness besides those


@dataclass
class WorkQueue:
    """Keys ready now, keys due later, and the keys being worked on: a key is never
    handed to two workers at once; one queued while in flight runs again after."""

    _ready: list[str] = field(default_factory=list)
    _queued: set[str] = field(default_factory=set)
    _active: set[str] = field(default_factory=set)
    _again: set[str] = field(default_factory=set)
    _later: list[tuple[float, str]] = field(default_factory=list)  # a heap
    _due: dict[str, float] = field(default_factory=dict)  # each key's one timer
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _closed: bool = False

    def add(self, key: str) -> None:
        with self._cond:
            if key in self._active:
                self._again.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._ready.append(key)
                self._cond.notify()

    def add_after(self, key: str, delay: float) -> None:
        """Queue ``key`` after ``delay`` seconds; a key has one timer, the soonest asked
        for (as client-go's delaying queue): every step asks for the next interval, and
        a timer kept per request would start a new chain at each step that no timer
        began (a new generation, a drift event), each of them repeating for ever."""
        when = time.monotonic() + delay
        with self._cond:
            if self._due.get(key, when + 1) <= when:
                return
            self._due[key] = when
            heapq.heappush(self._later, (when, key))
            self._cond.notify()

    def get(self) -> str | None:
        """The next key to work on (None once closed)."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                now = time.monotonic()
                while self._later and self._later[0][0] <= now:
                    when, key = heapq.heappop(self._later)
                    if self._due.get(key) != when:
                        continue  # replaced by a sooner timer
                    del self._due[key]
                    if key not in self._queued and key not in self._active:
                        self._queued.add(key)
                        self._ready.append(key)
                if self._ready:
                    key = self._ready.pop(0)
                    self._queued.discard(key)
                    self._active.add(key)
                    return key
                wait = self._later[0][0] - now if self._later else None
                self._cond.wait(wait)

    def done(self, key: str) -> None:
        with self._cond:
            self._active.discard(key)
            if key in self._again:
                self._again.discard(key)
                self._queued.add(key)
                self._ready.append(key)
                self._cond.notify()

    def depth(self) -> int:
        """Keys ready to be worked on now (controller-runtime's workqueue_depth)."""
        with self._cond:
            return len(self._ready)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class Controller:
    """Reconciles every HelmRelease in scope until ``stop()``."""

    def __init__(self, kube_factory: Callable[[], StatusKubeClient],
                 options: ControllerOptions,
                 report: Callable[[ReconcileResult], None] | None = None,
                 log: Callable[[str], None] | None = None,
                 reconcile: Reconcile = reconcile_release,
                 record: Callable[[dict[str, Any], ReconcileResult], None] | None = None
                 ) -> None:
        self.kube_factory, self.options, self.reconcile = kube_factory, options, reconcile
        self.report = report or (lambda _: None)
        self.record = record or (lambda _obj, _result: None)  # Events
        self.log = log or (lambda _: None)
        self.queue = WorkQueue()
        self.metrics = Metrics()
        self.metrics.gauge("workqueue_depth", "Current depth of workqueue",
                           'name="helmrelease"', lambda: float(self.queue.depth()))
        self.synced = threading.Event()  # the first list succeeded (readiness)
        self._stopping = threading.Event()
        # drift: a managed object's change queues its HelmRelease (driftDetection on)
        self.drift = DriftWatcher(kube_factory, self._drifted, self._stopping, self.log)
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(max(1, options.concurrent))
        self._cancels: dict[str, threading.Event] = {}  # keys being worked on

    def stop(self) -> None:
        self._stopping.set()
        self.queue.close()

    def run(self) -> None:
        """Start the workers, then watch until stopped."""
        kube = self.kube_factory()  # thread-safe, with a pool of connections
        count = max(1, self.options.concurrent) + max(0, self.options.waiting)
        workers = [threading.Thread(target=self._work, args=(kube,), name=f"reconcile-{i}",
                                    daemon=True) for i in range(count)]
        for worker in workers:
            worker.start()
        watcher = threading.Thread(target=self._watch, name="watch", daemon=True)
        watcher.start()
        self._stopping.wait()
        self.queue.close()
        for worker in workers:
            worker.join()

    # ------------------------------------------------------------------ watch
    def _events(self, kube: StatusKubeClient) -> Iterator[tuple[str, dict[str, Any]]]:
        items, version = kube.list_with_version(API_VERSION, KIND, self.options.namespace,
                                                label_selector=self.options.label_selector)
        self.synced.set()
        for item in items:
            yield "ADDED", item
        # a list after a broken watch: what was deleted meanwhile is no longer watched
        listed = {_key(item) for item in items}
        with self._lock:
            gone = [obj for key, obj in self._cache.items() if key not in listed]
        for obj in gone:
            yield "DELETED", obj
        while not self._stopping.is_set():
            for event in kube.watch(API_VERSION, KIND, self.options.namespace,
                                    label_selector=self.options.label_selector,
                                    resource_version=version or None,
                                    timeout_seconds=WATCH_WINDOW):
                version = str((event.object.get("metadata") or {}).get("resourceVersion")
                              or version)
                yield event.type, event.object
                if self._stopping.is_set():
                    return

    def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                kube = self.kube_factory()
                for kind, obj in self._events(kube):
                    self._observe(kind, obj)
            except PyhelmError as exc:
                self.log(f"watch {KIND}: {exc}; listing again")
                self._stopping.wait(2.0)

    def _drifted(self, key: str) -> None:
        """A managed object of HelmRelease ``key`` changed: queue it if it is one this
        controller watches. The drift watches see every namespace (a release's objects
        may live in another), so other namespaces' and other shards' releases too."""
        with self._lock:
            watched = key in self._cache
        if watched:
            self.queue.add(key)

    def _observe(self, event: str, obj: dict[str, Any]) -> None:
        key = _key(obj)
        with self._lock:
            old = self._cache.get(key)
            if event == "DELETED":
                self._cache.pop(key, None)
                return
            self._cache[key] = obj
        # a status write is a MODIFIED event too: only a new generation, a first sight, a
        # reconcile request (flux reconcile's annotation) or a deletion is work
        if old is not None and _generation(old) == _generation(obj) and \
                _requested(old) == _requested(obj) and _deleting(old) == _deleting(obj):
            return
        if old is not None and (_generation(obj) > _generation(old) or _deleting(obj)):
            with self._lock:
                cancel = self._cancels.get(key)
            if cancel is not None:  # a wait of the old spec ends; the new one runs next
                cancel.set()
        self.queue.add(key)

    # ------------------------------------------------------------------ work
    def _work(self, kube: StatusKubeClient) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            cancel = threading.Event()
            with self._lock:
                self._cancels[key] = cancel
            waiting_in(_Slot(self._slots, cancel, self._stopping))
            self._slots.acquire()
            try:
                self._step(kube, key)
            finally:
                self._slots.release()
                waiting_in(None)
                with self._lock:
                    self._cancels.pop(key, None)
                self.queue.done(key)

    def _step(self, kube: StatusKubeClient, key: str) -> None:
        namespace, _, name = key.partition("/")
        try:
            obj = kube.get(API_VERSION, KIND, name, namespace)
        except PyhelmError as exc:
            if "not found" in str(exc).lower():
                return  # deleted
            self.log(f"{key}: {exc}")
            self.queue.add_after(key, ERROR_REQUEUE)
            return
        started = time.monotonic()
        try:
            result = self.reconcile(kube, obj)
        except PyhelmError as exc:  # the status could not be written
            self.log(f"{key}: {exc}")
            self.metrics.outcome("error")
            self.queue.add_after(key, ERROR_REQUEUE)
            return
        except Exception as exc:  # one release must never stop the others
            self.log(f"{key}: unexpected {type(exc).__name__}: {exc}")
            self.metrics.outcome("error")
            self.queue.add_after(key, ERROR_REQUEUE)
            return
        self.metrics.observe(namespace, name, time.monotonic() - started, result.action)
        self.metrics.outcome("error" if result.action == "failed" else
                             "requeue_after" if result.requeue_after is not None
                             else "success")
        self.report(result)
        if result.watched_kinds:
            self.drift.watch(result.watched_kinds)
        self.record(obj, result)
        if result.requeue_after is not None:
            self.queue.add_after(key, result.requeue_after)


class _Slot:
    """A worker's share of the ``concurrent`` slots, lent to the waits of its release
    (``pyhelm.kube.wait.WaitScope``)."""

    def __init__(self, slots: threading.Semaphore, cancel: threading.Event,
                 stopping: threading.Event) -> None:
        self._slots, self._cancel, self._stopping = slots, cancel, stopping

    def release(self) -> None:
        self._slots.release()

    def acquire(self) -> None:
        self._slots.acquire()

    def cancelled(self) -> str:
        if self._stopping.is_set():  # SIGTERM: as helm-controller, a wait is not waited out
            return "the controller is stopping"
        return "a new generation of the HelmRelease is to be reconciled" \
            if self._cancel.is_set() else ""


def _key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _generation(obj: dict[str, Any]) -> int:
    return int((obj.get("metadata") or {}).get("generation") or 0)


def _requested(obj: dict[str, Any]) -> str:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get("reconcile.fluxcd.io/requestedAt") or "")


def _deleting(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))
