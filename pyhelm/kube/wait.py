"""Waiting for objects to become ready (or to disappear), driven by watches.

Objects are grouped by kind and namespace; each group is listed once (for a
resourceVersion) and then watched from there, one thread per group, so waiting costs
one request stream per group rather than a poll per object. A group of one object is
read with a GET and watched with a ``metadata.name`` field selector: a release among a
thousand others in its namespace never lists the others' objects. Objects the caller
holds as the API server answered them (``live``: an apply's answers) that are ready
already are not waited for at all. A watch that expires or
answers ``410 Gone`` is re-listed and resumed. An API server that cannot be reached, or
answers 429 or 5xx (it restarts, or is overloaded), is tried again with a growing pause
until the wait's deadline, as client-go's watchers do; the timeout then names the last
such error. A failed Job or Pod ends the wait at once.

A caller may give the waiting thread a ``WaitScope`` (``waiting_in``): the wait then
hands back the caller's slot while it blocks (a controller's worker limit counts work,
not waiting) and ends with ``WaitCancelledError`` once the scope is cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from pyhelm.errors import (
    KubeError,
    KubeNotFoundError,
    KubeUnreachableError,
    WaitCancelledError,
    WaitFailedError,
    WaitTimeoutError,
)
from pyhelm.kube.protocol import KubeClient, KubeObject, object_ref
from pyhelm.kube.readiness import Readiness, readiness

Progress = Callable[[str], None]  # an empty message: a wait is over (clear any status line)
_Key = tuple[str, str, str | None]  # apiVersion, kind, namespace
# Short watch windows let the watcher threads notice within seconds that a wait is over.
WATCH_WINDOW_SECONDS = 5
RETRY_PAUSES = (0.2, 0.5, 1.0, 2.0)  # after the last, every pause is the last one


class WaitScope(Protocol):
    """What a waiting thread's caller lends it (see the module's docstring)."""

    def release(self) -> None:
        """The wait starts blocking: the caller's slot is free for other work."""

    def acquire(self) -> None:
        """The wait is over: take a slot again (may block)."""

    def cancelled(self) -> str:
        """Why the wait must end now ("" to go on)."""
        ...


_SCOPE = threading.local()


def waiting_in(scope: WaitScope | None) -> None:
    """The scope this thread's waits run in (None: none)."""
    _SCOPE.value = scope


def _scope() -> WaitScope | None:
    scope: WaitScope | None = getattr(_SCOPE, "value", None)
    return scope


def _transient(exc: KubeError) -> bool:
    """An outage or overload the server recovers from, not an answer about the objects."""
    return isinstance(exc, KubeUnreachableError) or exc.status in (429, 500, 502, 503, 504)


class _Tracker:
    """Shared state of one wait: what is still pending and why."""

    def __init__(self, names: dict[_Key, set[str]], progress: Progress | None) -> None:
        self.pending = {(key, name): "not found yet" for key, names_ in names.items()
                        for name in names_}
        self.failure: str | None = None
        self.changed = threading.Condition()
        self.progress = progress
        self._last_report = ""
        self.unlisted = set(names)  # groups not listed yet: nothing to report about them
        self.outage: str | None = None  # the last transient error, while it lasts

    def update(self, key: _Key, obj: KubeObject, state: Readiness | None) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        if (key, name) not in self.pending:
            return
        with self.changed:
            if state is None:
                self.pending[(key, name)] = "deleted"
            elif state.failed:
                self.failure = f"{object_ref(obj)}: {state.reason}"
            elif state.ready:
                del self.pending[(key, name)]
            else:
                self.pending[(key, name)] = state.reason
            self.changed.notify_all()

    def describe(self) -> str:
        text = ", ".join(f"{kind}/{ns + '/' if ns else ''}{name} ({reason})"
                         for ((_, kind, ns), name), reason in sorted(self.pending.items(),
                                                                     key=str))
        return f"{text}; last error: {self.outage}" if self.outage else text

    def interrupted(self, error: str | None) -> None:
        """A transient error began (``error``) or ended (None)."""
        with self.changed:
            self.outage = error
            self.changed.notify_all()

    def listed(self, key: _Key) -> None:
        with self.changed:
            self.unlisted.discard(key)
            self.changed.notify_all()

    def finish(self) -> None:
        """Tell the progress display the wait is over (an empty message)."""
        if self.progress:
            self.progress("")

    def report(self) -> None:
        if self.unlisted:
            return
        text = self.describe()
        if self.progress and text and text != self._last_report:
            self._last_report = text
            self.progress(f"waiting for {len(self.pending)} resource(s): {text}")


def _group(kube: KubeClient, objects: Iterable[KubeObject]) -> dict[_Key, set[str]]:
    groups: dict[_Key, set[str]] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        info = kube.resource_for(obj["apiVersion"], obj["kind"])
        namespace = (meta.get("namespace") or kube.namespace) if info.namespaced else None
        groups.setdefault((obj["apiVersion"], obj["kind"], namespace), set()).add(meta["name"])
    return groups


def _watch_group(kube: KubeClient, key: _Key, tracker: _Tracker, deadline: float,
                 judge: Callable[[KubeObject | None], Readiness | None], stop: threading.Event,
                 only: str | None = None) -> None:
    """List (or GET ``only``), then watch in short windows until the wait ends; never
    raise."""
    failures = 0
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                _list_and_watch(kube, key, tracker, deadline, judge, stop, only)
            except KubeError as exc:
                if exc.status == 410:  # Gone: list again, resume
                    continue
                if not _transient(exc):
                    raise
                tracker.interrupted(str(exc))
                pause = RETRY_PAUSES[min(failures, len(RETRY_PAUSES) - 1)]
                failures += 1
                stop.wait(min(pause, max(deadline - time.monotonic(), 0)))
                continue
            failures = 0
    except Exception as exc:  # a thread must not die loudly; the waiter reports it
        if stop.is_set():
            return
        with tracker.changed:
            tracker.failure = tracker.failure or str(exc)
            tracker.changed.notify_all()


def _list_and_watch(kube: KubeClient, key: _Key, tracker: _Tracker, deadline: float,
                    judge: Callable[[KubeObject | None], Readiness | None],
                    stop: threading.Event, only: str | None = None) -> None:
    api_version, kind, namespace = key
    if only is None:
        items, version = _list(kube, api_version, kind, namespace)
    else:
        items, version = _get_one(kube, api_version, kind, namespace, only)
    listed = {(i.get("metadata") or {}).get("name") for i in items}
    for item in items:
        tracker.update(key, item, judge(item))
    for name in [n for (k, n) in list(tracker.pending) if k == key and n not in listed]:
        tracker.update(key, {"kind": kind, "metadata": {"name": name}}, judge(None))
    tracker.listed(key)
    if tracker.outage:
        tracker.interrupted(None)
    window = max(1, min(int(deadline - time.monotonic()) + 1, WATCH_WINDOW_SECONDS))
    for event in kube.watch(api_version, kind, namespace, resource_version=version,
                            timeout_seconds=window,
                            field_selector=None if only is None else f"metadata.name={only}"):
        if stop.is_set():
            return
        gone = event.type == "DELETED"
        tracker.update(key, event.object, judge(None if gone else event.object))


def _list(kube: KubeClient, api_version: str, kind: str, namespace: str | None
          ) -> tuple[list[KubeObject], str | None]:
    """Objects and the version to watch from (clients without one watch from 'now')."""
    lister = getattr(kube, "list_with_version", None)
    if lister:
        items, version = lister(api_version, kind, namespace)
        return items, version or None
    return kube.list(api_version, kind, namespace), None


def _get_one(kube: KubeClient, api_version: str, kind: str, namespace: str | None,
             name: str) -> tuple[list[KubeObject], str | None]:
    """The one object as a list, and its resourceVersion to watch from (none when it is
    absent: a watch from "now" begins with the objects that exist by then)."""
    try:
        obj = kube.get(api_version, kind, name, namespace)
    except KubeNotFoundError:
        return [], None
    return [obj], str((obj.get("metadata") or {}).get("resourceVersion") or "") or None


def _run(kube: KubeClient, groups: dict[_Key, set[str]], timeout: float,
         judge: Callable[[KubeObject | None], Readiness | None], progress: Progress | None,
         what: str) -> None:
    tracker = _Tracker(groups, progress)
    deadline = time.monotonic() + timeout
    stop = threading.Event()
    threads = [threading.Thread(target=_watch_group, daemon=True, name=f"wait-{key[1]}",
                                args=(kube, key, tracker, deadline, judge, stop,
                                      next(iter(names)) if len(names) == 1 else None))
               for key, names in groups.items()]
    for thread in threads:
        thread.start()
    scope = _scope()
    if scope is not None:
        scope.release()
    try:
        with tracker.changed:
            while tracker.pending and tracker.failure is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeoutError(f"timed out waiting for {what}: "
                                           f"{tracker.describe()}")
                reason = scope.cancelled() if scope is not None else ""
                if reason:
                    raise WaitCancelledError(f"stopped waiting for {what}: {reason}")
                tracker.report()
                tracker.changed.wait(timeout=min(left, 1.0 if scope is None else 0.2))
            if tracker.failure:
                raise WaitFailedError(tracker.failure)
    finally:
        stop.set()
        tracker.finish()
        if scope is not None:
            scope.acquire()


def wait_for(kube: KubeClient, objects: Sequence[KubeObject], *, timeout: float,
             wait_for_jobs: bool = False, progress: Progress | None = None,
             live: bool = False) -> None:
    """Block until every object is ready; raise WaitTimeoutError or WaitFailedError.
    ``live``: the objects are the API server's answers (an apply's), so those ready as
    answered need no request (a ConfigMap, a Service with its cluster IP)."""

    def judge(obj: KubeObject | None) -> Readiness | None:
        if obj is None:
            return Readiness(False, reason="not found")
        return readiness(obj, wait_for_jobs=wait_for_jobs)

    if live:
        objects = [obj for obj in objects if not _ready_as_answered(judge(obj))]
    if not objects:
        return
    _run(kube, _group(kube, objects), timeout, judge, progress, "readiness")


def _ready_as_answered(state: Readiness | None) -> bool:
    return state is not None and state.ready and not state.failed


def wait_for_deletion(kube: KubeClient, objects: Sequence[KubeObject], *, timeout: float,
                      progress: Progress | None = None) -> None:
    """Block until every object is gone."""
    if not objects:
        return

    def judge(obj: KubeObject | None) -> Readiness | None:
        return Readiness(True) if obj is None else Readiness(False, reason="still exists")

    _run(kube, _group(kube, objects), timeout, judge, progress, "deletion")


def describe(objects: Iterable[Any]) -> str:
    return ", ".join(object_ref(o) for o in objects)
