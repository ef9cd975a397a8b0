"""The steps of a release's lifecycle that several verbs share, written once.

Helm's ``pkg/action`` keeps these on its ``Configuration``; here they are functions over
the store and the ``Configuration``: claim a revision (the store's atomic create is the
lock), supersede the deployed ones and record ours, record a failure, prune history,
read a stored revision's hooks back, Helm's rule for reusing the previous values, and a
server-side dry run. Verbs call these and never each other's private helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyhelm.action.apply import ApplySettings, ReleaseRef, apply_manifests
from pyhelm.action.configuration import Configuration
from pyhelm.action.records import with_outcome
from pyhelm.engine.helm_inputs import ReuseRule
from pyhelm.engine.manifest import Hook, Rendered, as_hook
from pyhelm.errors import (
    KubeForbiddenError,
    PyhelmError,
    ReleaseConflictError,
    ReleaseExistsError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
)

if TYPE_CHECKING:
    from pyhelm.release.model import Release
    from pyhelm.storage.store import ReleaseStore


def claim(store: ReleaseStore, release: Release, previous: Release) -> None:
    """Record the pending revision; the store's atomic create is the lock. An uninstall
    that marked ``previous`` meanwhile holds the release: step back (one of them fails)."""
    try:
        store.create(release)
    except ReleaseExistsError as exc:
        raise ReleaseInProgressError(
            f'release "{release.name}": another operation is in progress '
            f"(revision {release.version} was recorded first)") from exc
    try:
        now = store.get(previous.name, previous.version)
    except ReleaseNotFoundError:  # an uninstall purged it meanwhile
        store.delete(release.name, release.version)
        raise ReleaseInProgressError(
            f'release "{release.name}": operation in progress (revision '
            f"{previous.version} was deleted meanwhile)") from None
    if now.info.status.is_pending:
        store.delete(release.name, release.version)  # nothing was applied yet
        store.check_not_busy(now)
        raise ReleaseInProgressError(
            f'release "{release.name}": operation in progress ({now.info.status})')


def finish(cfg: Configuration, store: ReleaseStore, release: Release, done: Release) -> None:
    """Record ours deployed, then supersede the revisions deployed before it.

    The first write is conditional on our pending record as we last wrote it, so an
    operation that no longer holds the release fails there, before it touches any other
    revision. A crash between the writes leaves two deployed revisions, and readers (Helm
    too) take the newest; the other order would leave none."""
    store.update(done)
    supersede(cfg, store, [r for r in store.history(release.name)
                           if r.version < release.version])


def supersede(cfg: Configuration, store: ReleaseStore, revisions: list[Release]) -> None:
    for old in revisions:
        if old.state == "deployed":
            # Helm keeps a superseded revision's time: it says when that one was deployed
            store.update(with_outcome(old, state="superseded",
                                      description=old.info.description,
                                      now=old.info.last_deployed or cfg.clock()))


def prune_history(store: ReleaseStore, name: str, keep: int) -> None:
    if keep > 0:
        store.prune(name, keep)


def record_failure(store: ReleaseStore, failed: Release, exc: PyhelmError) -> None:
    """Record a failed revision; if the lock was lost, say so and do nothing more."""
    try:
        store.update(failed)
    except ReleaseConflictError as lost:
        raise ReleaseConflictError(
            f"{failed.info.description}; then this operation found it no longer holds the "
            f"release ({lost}): nothing was rolled back or cleaned up") from exc


def hooks_of(release: Release) -> tuple[Hook, ...]:
    from pyhelm.engine.documents import parse_manifests

    hooks = []
    for record in release.hooks or []:
        for manifest in parse_manifests(record.manifest, record.path):
            hook = as_hook(manifest)
            if hook is not None:
                hooks.append(hook)
    return tuple(hooks)


def reuse_rule(reset_values: bool, reuse_values: bool, reset_then_reuse_values: bool,
               previous: Release) -> ReuseRule:
    """Helm's rules for the previous release's values: --reset-values drops them,
    --reuse-values merges the new ones over them (and, for Helm charts, makes the old
    chart's values the defaults), --reset-then-reuse-values merges over fresh chart
    defaults; an upgrade given no values at all keeps them."""
    mode = ("reset" if reset_values else "reuse" if reuse_values
            else "reset-then-reuse" if reset_then_reuse_values else "default")
    return ReuseRule(mode=mode, previous_config=dict(previous.config or {}),
                     previous_chart_values=dict(previous.chart.values or {}))


def server_dry_run(cfg: Configuration, rendered: Rendered, release: ReleaseRef, *,
                   take_ownership: bool, force_conflicts: bool) -> None:
    """Let the API server validate and admit every object without persisting it.

    Objects are checked one by one: admission of a Pod whose ServiceAccount this same
    release creates would fail only because nothing was persisted, so that one refusal
    is accepted."""
    settings = ApplySettings(release=release, take_ownership=take_ownership,
                             force_conflicts=force_conflicts, dry_run=True)
    own_accounts = {m.name for m in rendered.manifests if m.kind == "ServiceAccount"}
    for manifest in rendered.manifests:
        try:
            apply_manifests(cfg.kube, [manifest], settings)
        except KubeForbiddenError as exc:
            if not any(f'serviceaccount "{name}" not found' in str(exc)
                       for name in own_accounts):
                raise
