"""``uninstall``: pre-delete hooks, delete in reverse kind order, post-delete hooks, then
drop the history or keep it marked uninstalled."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pyhelm.action.apply import ReleaseRef, delete_manifests, keeps_on_delete
from pyhelm.action.configuration import Configuration
from pyhelm.action.hooks import HookSettings, run_hooks
from pyhelm.action.lookup import history
from pyhelm.action.records import manifests_of, with_outcome
from pyhelm.action.rollback import _hooks_of
from pyhelm.engine.manifest import uninstall_order
from pyhelm.errors import KubeNotFoundError, ReleaseError, UsageError


@dataclass(frozen=True, kw_only=True)
class UninstallOptions:
    name: str
    namespace: str | None = None
    keep_history: bool = False
    no_hooks: bool = False
    wait: bool = False
    timeout: float = 300.0
    dry_run: bool = False
    description: str = ""
    cascade: str = "background"  # background, foreground or orphan (Kubernetes' policies)


@dataclass(frozen=True)
class UninstallResult:
    release: Any
    deleted: tuple[str, ...]
    kept: tuple[str, ...]


def run(cfg: Configuration, options: UninstallOptions) -> UninstallResult:
    propagation = _propagation(options.cascade)
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    revisions = history(store, options.name)
    latest = revisions[-1]
    manifests = uninstall_order(manifests_of(latest))
    kept = tuple(m.ref for m in manifests if keeps_on_delete(m))
    if options.dry_run:
        doomed = tuple(m.ref for m in manifests if not keeps_on_delete(m))
        return UninstallResult(latest, doomed, kept)
    releasing = with_outcome(latest, state="uninstalling", description="Deletion in progress",
                             now=cfg.clock())
    store.update(releasing)
    hooks = _hooks_of(latest)
    settings = HookSettings(release=ReleaseRef(options.name, namespace),
                            timeout=options.timeout, clock=cfg.clock)
    if not options.no_hooks:
        run_hooks(cfg.kube, hooks, "pre-delete", settings)
    deleted = delete_manifests(cfg.kube, manifests, namespace,
                               propagation=propagation)
    if options.wait:
        _wait_gone(cfg, manifests, namespace, options.timeout)
    if not options.no_hooks:
        run_hooks(cfg.kube, hooks, "post-delete", settings)
    done = with_outcome(releasing, state="uninstalled",
                        description=options.description or "Uninstallation complete",
                        now=cfg.clock())
    if options.keep_history:
        store.update(done)
    else:
        for revision in revisions:
            store.delete(options.name, revision.version)
    return UninstallResult(done, tuple(deleted), kept)


def _propagation(cascade: str) -> str:
    policies = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}
    if cascade not in policies:
        raise UsageError(f'invalid cascade value "{cascade}": must be "background", '
                         '"orphan", or "foreground"')
    return policies[cascade]


def _wait_gone(cfg: Configuration, manifests: list[Any], namespace: str, timeout: float) -> None:
    """Watch each deleted object until the server reports it gone."""
    deadline = time.monotonic() + timeout
    for manifest in manifests:
        if keeps_on_delete(manifest):
            continue
        info = cfg.kube.resource_for(manifest.api_version, manifest.kind)
        where = (manifest.namespace or namespace) if info.namespaced else None
        while True:
            try:
                cfg.kube.get(manifest.api_version, manifest.kind, manifest.name, where)
            except KubeNotFoundError:
                break
            remaining = int(deadline - time.monotonic())
            if remaining <= 0:
                raise ReleaseError(f"timed out waiting for {manifest.ref} to be deleted")
            cfg.progress(f"waiting for {manifest.ref} to be deleted")
            for event in cfg.kube.watch(manifest.api_version, manifest.kind, where,
                                        field_selector=f"metadata.name={manifest.name}",
                                        timeout_seconds=min(remaining, 5)):
                if event.type == "DELETED":
                    break
