"""Running a release's hooks for one event: order, delete policies, waiting, records.

Hooks of an event run one at a time by weight (then kind order, then name). Before each
is created an old copy is deleted when its policy says ``before-hook-creation`` (the
default when no policy is given, as in Helm). Jobs and Pods are waited for until they
complete; a failed one fails the operation with the hook's name and reason, after
``hook-failed`` deletion. ``hook-succeeded`` objects are deleted once done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from pyhelm.action.apply import FIELD_MANAGER, ReleaseRef, stamp_ownership
from pyhelm.engine.manifest import Hook, sort_hooks
from pyhelm.errors import HookFailedError
from pyhelm.kube.protocol import KubeClient, KubeObject

BEFORE_CREATION = "before-hook-creation"
ON_SUCCESS = "hook-succeeded"
ON_FAILURE = "hook-failed"


@dataclass(frozen=True)
class HookRun:
    """What happened to one hook, for the release record (Helm's ``last_run``)."""

    name: str
    kind: str
    path: str
    events: tuple[str, ...]
    weight: int
    delete_policies: tuple[str, ...]
    started_at: datetime
    completed_at: datetime
    phase: str  # Succeeded or Failed


def wait_gone(kube: KubeClient, obj: KubeObject, timeout: float) -> None:
    """Watch a deleted hook object until the server reports it gone."""
    from pyhelm.kube.wait import wait_for_deletion

    wait_for_deletion(kube, [obj], timeout=timeout)


def hooks_for(hooks: Iterable[Hook], event: str) -> list[Hook]:
    return sort_hooks(h for h in hooks if event in h.events)


def effective_policies(hook: Hook) -> tuple[str, ...]:
    return hook.delete_policies or (BEFORE_CREATION,)


def completion(obj: KubeObject) -> tuple[bool, str | None]:
    """(done, failure reason) of a hook object; kinds other than Job and Pod are done
    as soon as they exist."""
    status = obj.get("status") or {}
    if obj.get("kind") == "Job":
        for condition in status.get("conditions") or []:
            if condition.get("status") != "True":
                continue
            if condition.get("type") == "Complete":
                return True, None
            if condition.get("type") == "Failed":
                return True, condition.get("message") or condition.get("reason") or "failed"
        return False, None
    if obj.get("kind") == "Pod":
        phase = status.get("phase")
        if phase == "Succeeded":
            return True, None
        if phase == "Failed":
            return True, status.get("message") or status.get("reason") or "pod failed"
        return False, None
    return True, None


def wait_for_completion(kube: KubeClient, obj: KubeObject, deadline: float) -> str | None:
    """Block until obj completes (watching it); returns the failure reason or None."""
    meta = obj["metadata"]
    done, reason = completion(obj)
    while not done:
        remaining = int(deadline - time.monotonic())
        if remaining <= 0:
            return "timed out waiting for it to complete"
        for event in kube.watch(obj["apiVersion"], obj["kind"], meta.get("namespace"),
                                field_selector=f"metadata.name={meta['name']}",
                                timeout_seconds=remaining):
            if event.type == "DELETED":
                return "it was deleted before it completed"
            done, reason = completion(event.object)
            if done:
                break
    return reason


@dataclass(frozen=True, kw_only=True)
class HookSettings:
    release: ReleaseRef
    timeout: float
    clock: Callable[[], datetime]
    waiter: Callable[[KubeClient, KubeObject, float], str | None] = wait_for_completion
    await_deletion: Callable[[KubeClient, KubeObject, float], None] = wait_gone
    # when a list: the deletions a hook's succeeded/failed policy asks for are put here to
    # run later (`test --logs` reads the test pods first, as Helm does), not run at once
    deferred_deletions: list[Callable[[], None]] | None = None


def _delete(kube: KubeClient, hook: Hook, namespace: str | None, settings: HookSettings
            ) -> None:
    """Delete the hook object and wait until it is gone: a re-created hook must not
    land on a copy that is still terminating."""
    m = hook.manifest
    if kube.delete(m.api_version, m.kind, m.name, namespace, propagation="Background"):
        target = {"apiVersion": m.api_version, "kind": m.kind,
                  "metadata": {"name": m.name, **({"namespace": namespace} if namespace
                                                  else {})}}
        settings.await_deletion(kube, target, settings.timeout)


def run_hook(kube: KubeClient, hook: Hook, settings: HookSettings) -> HookRun:
    manifest = hook.manifest
    info = kube.resource_for(manifest.api_version, manifest.kind)
    namespace = (manifest.namespace or settings.release.namespace) if info.namespaced else None
    obj = stamp_ownership(manifest.obj, settings.release, namespace or None)
    if BEFORE_CREATION in effective_policies(hook):
        _delete(kube, hook, namespace, settings)
    started = settings.clock()
    created = kube.apply(obj, field_manager=FIELD_MANAGER, force=True)
    reason = settings.waiter(kube, created, time.monotonic() + settings.timeout)
    phase = "Failed" if reason else "Succeeded"
    if (ON_FAILURE if reason else ON_SUCCESS) in hook.delete_policies:
        if settings.deferred_deletions is None:
            _delete(kube, hook, namespace, settings)
        else:
            settings.deferred_deletions.append(partial(_delete, kube, hook, namespace, settings))
    run = HookRun(manifest.name, manifest.kind, manifest.template, hook.events, hook.weight,
                  hook.delete_policies, started, settings.clock(), phase)
    if reason:
        raise HookFailedError(f'hook "{manifest.name}" ({manifest.kind}, {manifest.template}) '
                              f"failed: {reason}")
    return run


def run_hooks(kube: KubeClient, hooks: Iterable[Hook], event: str, settings: HookSettings
              ) -> list[HookRun]:
    """Run the hooks of one event in order; stops at the first failure."""
    return [run_hook(kube, hook, settings) for hook in hooks_for(hooks, event)]
