"""``upgrade``: a new pending-upgrade revision, rolled out over the previous one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyhelm.action import install
from pyhelm.action.apply import ReleaseRef, delete_manifests
from pyhelm.action.chart_source import load_chart_ref
from pyhelm.action.configuration import Configuration
from pyhelm.action.lookup import history, last_deployed
from pyhelm.action.records import manifests_of, new_release, state_of, with_outcome
from pyhelm.action.rollout import (
    RolloutReport,
    RolloutSettings,
    failure_reason,
    rollout,
    validate_release_name,
)
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.values import merge_maps
from pyhelm.engine.manifest import uninstall_order
from pyhelm.errors import (
    PyhelmError,
    ReleaseError,
    ReleaseExistsError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
)


@dataclass(frozen=True, kw_only=True)
class UpgradeOptions:
    name: str
    chart: str
    version: str | None = None
    namespace: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)
    install: bool = False
    create_namespace: bool = False
    reuse_values: bool = False
    reset_values: bool = False
    reset_then_reuse_values: bool = False
    dry_run: str | None = None
    wait: bool = False
    wait_for_jobs: bool = False
    atomic: bool = False
    cleanup_on_fail: bool = False
    history_max: int = 10
    timeout: float = 300.0
    description: str = ""
    take_ownership: bool = False
    force_conflicts: bool = False
    skip_crds: bool = False
    no_hooks: bool = False


def effective_values(options: UpgradeOptions, previous: Any) -> dict[str, Any]:
    """Helm's rules: --reuse-values merges onto the last config, --reset-then-reuse onto
    the last config over fresh chart defaults; plain upgrades with no values reuse."""
    overrides = options.values.merged()
    if options.reset_values:
        return overrides
    if options.reuse_values or options.reset_then_reuse_values:
        return merge_maps(dict(previous.config or {}), overrides)
    if options.values.is_empty():
        return dict(previous.config or {})
    return overrides


def _as_install(options: UpgradeOptions) -> install.InstallOptions:
    return install.InstallOptions(
        name=options.name, chart=options.chart, version=options.version,
        namespace=options.namespace, values=options.values,
        create_namespace=options.create_namespace, dry_run=options.dry_run, wait=options.wait,
        wait_for_jobs=options.wait_for_jobs, atomic=options.atomic, timeout=options.timeout,
        description=options.description, take_ownership=options.take_ownership,
        force_conflicts=options.force_conflicts, skip_crds=options.skip_crds,
        no_hooks=options.no_hooks)


def run(cfg: Configuration, options: UpgradeOptions) -> Any:
    validate_release_name(options.name)
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    try:
        revisions = history(store, options.name)
    except ReleaseNotFoundError:
        if options.install:
            return install.run(cfg, _as_install(options))
        raise ReleaseNotFoundError(f'release "{options.name}" not found in namespace '
                                   f'"{namespace}" (use --install to install it)') from None
    if store.recover(options.name):
        revisions = history(store, options.name)
    latest = revisions[-1]
    store.check_not_busy(latest)
    previous = last_deployed(revisions) or latest
    chart = load_chart_ref(options.chart, options.version,
                           paths=cfg.settings.repo_paths)
    capabilities = cfg.capabilities()
    install.check_kube_version(chart, capabilities)
    values = effective_values(options, previous)
    revision = latest.version + 1
    rendered = install.render_for(chart, values, options.name, namespace, revision,
                                  capabilities, upgrade=True)
    release = new_release(name=options.name, namespace=namespace, revision=revision,
                          chart=chart, config=values, rendered=rendered,
                          state="pending-upgrade",
                          description=options.description or "Upgrade underway",
                          now=cfg.clock(), first_deployed=latest.info.first_deployed)
    if options.dry_run:
        if options.dry_run == "server":
            install.server_dry_run(cfg, rendered, ReleaseRef(options.name, namespace),
                                   take_ownership=options.take_ownership,
                                   force_conflicts=options.force_conflicts)
        return with_outcome(release, state="pending-upgrade", description="Dry run complete",
                            now=cfg.clock())
    claim(store, release)
    settings = RolloutSettings(
        release=ReleaseRef(options.name, namespace), event="upgrade", timeout=options.timeout,
        wait=options.wait or options.atomic, wait_for_jobs=options.wait_for_jobs,
        no_hooks=options.no_hooks, skip_crds=options.skip_crds,
        take_ownership=options.take_ownership, force_conflicts=options.force_conflicts)
    report = RolloutReport()
    try:
        rollout(cfg, rendered, settings, manifests_of(previous), report)
    except PyhelmError as exc:
        _fail(cfg, store, release, report, exc, options, previous)
        raise
    done = with_outcome(release, state="deployed",
                        description=options.description or "Upgrade complete",
                        now=cfg.clock(), hooks=rendered.hooks, runs=report.hooks)
    supersede(cfg, store, revisions)
    store.update(done)
    prune_history(store, options.name, options.history_max)
    return done


def claim(store: Any, release: Any) -> None:
    """Record the pending revision; the store's atomic create is the lock."""
    try:
        store.create(release)
    except ReleaseExistsError as exc:
        raise ReleaseInProgressError(
            f'release "{release.name}": another operation is in progress '
            f"(revision {release.version} was recorded first)") from exc


def supersede(cfg: Configuration, store: Any, revisions: list[Any]) -> None:
    for old in revisions:
        if state_of(old) == "deployed":
            # Helm keeps a superseded revision's time: it says when that one was deployed
            store.update(with_outcome(old, state="superseded",
                                      description=old.info.description,
                                      now=old.info.last_deployed or cfg.clock()))


def prune_history(store: Any, name: str, keep: int) -> None:
    if keep > 0:
        store.prune(name, keep)


def _fail(cfg: Configuration, store: Any, release: Any, report: RolloutReport,
          exc: PyhelmError, options: UpgradeOptions, previous: Any) -> None:
    reason = f"Upgrade {release.name!r} failed: {failure_reason(exc)}"
    store.update(with_outcome(release, state="failed", description=reason, now=cfg.clock()))
    if options.cleanup_on_fail:
        delete_manifests(cfg.kube, uninstall_order(report.applied.created), release.namespace)
    if options.atomic:
        from pyhelm.action import rollback

        rollback.run(cfg, rollback.RollbackOptions(
            name=release.name, namespace=release.namespace, revision=previous.version,
            wait=True, timeout=options.timeout, force_conflicts=True,
            history_max=options.history_max))
        raise ReleaseError(f"{reason}; rolled back to revision {previous.version} "
                           "(--atomic)") from exc


