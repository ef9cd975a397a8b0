"""``uninstall``: pre-delete hooks, delete in reverse kind order the objects the release
owns (Helm 4.3 leaves one whose labels and annotations name another owner, or that it
cannot read), post-delete hooks, then drop the history or keep it marked uninstalled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyhelm.action.apply import (
    Ownership,
    ReleaseRef,
    Skipped,
    delete_manifests,
    describe_delete_failures,
    keeps_on_delete,
    sort_by_ownership,
)
from pyhelm.action.configuration import Configuration
from pyhelm.action.hooks import HookSettings, run_hooks
from pyhelm.action.lifecycle import hooks_of
from pyhelm.action.lookup import history, possibly_live
from pyhelm.action.records import with_outcome
from pyhelm.engine.manifest import Manifest, uninstall_order
from pyhelm.errors import (
    ReleaseConflictError,
    ReleaseError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
    UsageError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from pyhelm.release.model import Release


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
    release: Release
    deleted: tuple[str, ...]  # refs ("Kind/namespace/name"); with dry_run, to be deleted
    kept: tuple[str, ...]  # refs kept by the resource policy
    kept_manifests: tuple[Manifest, ...] = ()
    not_owned: tuple[Skipped, ...] = ()  # left alone: another owner's
    unverified: tuple[Skipped, ...] = ()  # left alone: could not be read


def run(cfg: Configuration, options: UninstallOptions) -> UninstallResult:
    propagation = _propagation(options.cascade)
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    try:
        revisions = history(store, options.name)
    except ReleaseNotFoundError as exc:
        raise ReleaseNotFoundError(
            str(exc), helm_message=f"uninstall: Release not loaded: {options.name}: "
            "release: not found") from None
    if not options.dry_run and store.recover(options.name):
        revisions = history(store, options.name)
    latest = revisions[-1]
    store.check_not_busy(latest)
    # with the objects a failed or interrupted operation may have left
    manifests = uninstall_order(possibly_live(revisions))
    kept = tuple(m for m in manifests if keeps_on_delete(m))
    release = ReleaseRef(options.name, namespace)
    if options.dry_run:
        ownership = sort_by_ownership(cfg.kube, _doomed(manifests), release, namespace)
        return _result(latest, tuple(m.ref for m in ownership.owned), kept, ownership)
    releasing = _claim(cfg, store, latest)
    hooks = hooks_of(latest)
    settings = HookSettings(release=release, timeout=options.timeout, clock=cfg.clock)
    if not options.no_hooks:
        run_hooks(cfg.kube, hooks, "pre-delete", settings)
    ownership = sort_by_ownership(cfg.kube, _doomed(manifests), release, namespace)
    failures: list[str] = []
    deleted = delete_manifests(cfg.kube, ownership.owned, namespace, failures=failures,
                               propagation=propagation)
    if failures:
        # keep the history: the next uninstall (or upgrade) finishes from this record
        message = describe_delete_failures(failures)
        store.update(with_outcome(releasing, state="failed",
                                  description=f"Uninstallation incomplete: {message}",
                                  now=cfg.clock()))
        raise ReleaseError(f'uninstall of "{options.name}" incomplete: {message} (the '
                           "release is kept, marked failed; run uninstall again once "
                           "these can be deleted)")
    if options.wait:
        _wait_gone(cfg, list(ownership.owned), namespace, options.timeout)
    if not options.no_hooks:
        run_hooks(cfg.kube, hooks, "post-delete", settings)
    done = with_outcome(releasing, state="uninstalled",
                        description=options.description or "Uninstallation complete",
                        now=cfg.clock())
    if options.keep_history:
        store.update(done)
    else:
        # the newest first: an interrupted purge leaves the oldest, never a gap at the top
        for revision in sorted(history(store, options.name), key=lambda r: -r.version):
            store.delete(options.name, revision.version)
        store.sweep(options.name)
    return _result(done, tuple(deleted), kept, ownership)


def _doomed(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if not keeps_on_delete(m)]


def _result(release: Release, deleted: tuple[str, ...], kept: tuple[Manifest, ...],
            ownership: Ownership) -> UninstallResult:
    return UninstallResult(release, deleted, tuple(m.ref for m in kept), kept,
                           ownership.not_owned, ownership.unverified)


def _claim(cfg: Configuration, store: Any, latest: Any) -> Any:
    """Mark the latest revision uninstalling: the lock, taken like the other writes.

    The write is conditional on the revision read, and a revision recorded meanwhile
    (an upgrade's claim) makes this uninstall step back: one of the two fails."""
    releasing = with_outcome(latest, state="uninstalling", description="Deletion in progress",
                             now=cfg.clock())
    try:
        store.update(releasing)
    except ReleaseConflictError as exc:
        raise ReleaseInProgressError(
            f'release "{latest.name}": operation in progress (revision {latest.version} '
            "changed while uninstall was starting)") from exc
    newest = max(r.version for r in history(store, latest.name))
    if newest > latest.version:
        store.update(latest)  # give the revision back as it was
        raise ReleaseInProgressError(
            f'release "{latest.name}": operation in progress (revision {newest} was '
            "recorded while uninstall was starting)")
    return releasing


def _propagation(cascade: str) -> str:
    policies = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}
    if cascade not in policies:
        raise UsageError(f'invalid cascade value "{cascade}": must be "background", '
                         '"orphan", or "foreground"')
    return policies[cascade]


def _wait_gone(cfg: Configuration, manifests: list[Manifest], namespace: str,
               timeout: float) -> None:
    """Watch the deleted objects until the server reports each gone."""
    from pyhelm.kube.wait import wait_for_deletion

    objects = [{"apiVersion": m.api_version, "kind": m.kind,
                "metadata": {"name": m.name, "namespace": m.namespace or namespace}}
               for m in manifests if not keeps_on_delete(m)]
    try:
        wait_for_deletion(cfg.kube, objects, timeout=timeout, progress=cfg.progress)
    except WaitTimeoutError as exc:
        raise ReleaseError(str(exc)) from exc
