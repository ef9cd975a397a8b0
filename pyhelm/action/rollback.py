"""``rollback``: a new revision that re-applies an earlier one's manifest and values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhelm.action.apply import ReleaseRef
from pyhelm.action.configuration import Configuration
from pyhelm.action.lifecycle import claim, finish, hooks_of, prune_history, record_failure
from pyhelm.action.lookup import history, possibly_live
from pyhelm.action.records import manifests_of, with_outcome
from pyhelm.action.rollout import RolloutReport, RolloutSettings, failure_reason, rollout
from pyhelm.engine.manifest import Rendered
from pyhelm.errors import PyhelmError, ReleaseNotFoundError, UsageError

if TYPE_CHECKING:
    from pyhelm.release.model import Release
    from pyhelm.storage.store import ReleaseStore


@dataclass(frozen=True, kw_only=True)
class RollbackOptions:
    name: str
    revision: int = 0  # 0: the one before the latest
    namespace: str | None = None
    wait: bool = False
    wait_for_jobs: bool = False
    timeout: float = 300.0
    no_hooks: bool = False
    # a rollback restores a recorded state, so it takes fields back from other managers
    # (such as `helm` when the release was made by Helm)
    force_conflicts: bool = True
    force_replace: bool = False  # replace changed objects whole instead of applying
    cleanup_on_fail: bool = False
    history_max: int = 10
    dry_run: bool = False
    description: str = ""  # "" records Helm's "Rollback to N"


MAX_DESCRIPTION_LENGTH = 256  # Helm 4.3's, in characters


def check_description(description: str) -> None:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise UsageError(f"description must be {MAX_DESCRIPTION_LENGTH} characters or less, "
                         f"got {len(description)}")


def _target(revisions: list[Release], name: str, number: int) -> Release:
    if number == 0:
        if len(revisions) < 2:
            raise ReleaseNotFoundError(
                f'release "{name}" has no previous revision to roll back to',
                helm_message=f"release has no {revisions[-1].version - 1} version")
        return revisions[-2]
    for found in revisions:
        if found.version == number:
            return found
    raise ReleaseNotFoundError(f'release "{name}" has no revision {number}',
                               helm_message=f"release has no {number} version")


def run(cfg: Configuration, options: RollbackOptions) -> Release:
    check_description(options.description)
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    with store.remembering():  # the history is read once (then superseded, pruned)
        return _rollback(cfg, options, namespace, store)


def _rollback(cfg: Configuration, options: RollbackOptions, namespace: str,
              store: ReleaseStore) -> Release:
    revisions = history(store, options.name)
    if store.recover(options.name):
        revisions = history(store, options.name)
    latest = revisions[-1]
    store.check_not_busy(latest)
    target = _target(revisions, options.name, options.revision)
    description = options.description or f"Rollback to {target.version}"
    rendered = Rendered(manifests=tuple(manifests_of(target)), hooks=hooks_of(target),
                        crds=(), notes=target.info.notes or "", templates={})
    release = with_outcome(target, state="pending-rollback",
                           description=description, now=cfg.clock())
    release = _renumbered(release, latest.version + 1, rolled_back_to=target.version)
    if options.dry_run:
        return release
    store.check_size(release)
    claim(store, release, latest)
    settings = RolloutSettings(release=ReleaseRef(options.name, namespace), event="rollback",
                               timeout=options.timeout, wait=options.wait,
                               wait_for_jobs=options.wait_for_jobs, no_hooks=options.no_hooks,
                               force_conflicts=options.force_conflicts,
                               force_replace=options.force_replace, take_ownership=True)
    report = RolloutReport()
    try:
        rollout(cfg, rendered, settings, possibly_live(revisions), report)
    except PyhelmError as exc:
        reason = f"Rollback {options.name!r} to {target.version} failed: {failure_reason(exc)}"
        record_failure(store, with_outcome(release, state="failed", description=reason,
                                           now=cfg.clock()), exc)
        raise
    done = with_outcome(release, state="deployed",
                        description=description, now=cfg.clock(),
                        hooks=rendered.hooks, runs=report.hooks)
    finish(cfg, store, release, done)
    prune_history(store, options.name, options.history_max)
    return done


def _renumbered(release: Release, revision: int, *, rolled_back_to: int) -> Release:
    import dataclasses

    info = dataclasses.replace(release.info, rollback_revision=rolled_back_to)
    return dataclasses.replace(release, version=revision, info=info)
