"""``upgrade``: a new pending-upgrade revision, rolled out over the previous one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyhelm.action import install
from pyhelm.action.apply import ReleaseRef, delete_manifests, describe_delete_failures
from pyhelm.action.chart_source import ChartLocation, open_chart_ref
from pyhelm.action.configuration import Configuration
from pyhelm.action.lifecycle import (
    claim,
    finish,
    prune_history,
    record_failure,
    reuse_rule,
    server_dry_run,
)
from pyhelm.action.lookup import deployed_objects, history, last_deployed, possibly_live
from pyhelm.action.records import new_release, with_outcome, with_secrets_hidden
from pyhelm.action.rendering import render_for_release, tell_if_deprecated
from pyhelm.action.rollout import (
    RolloutReport,
    RolloutSettings,
    failure_reason,
    rollout,
)
from pyhelm.action.values_options import ValueOptions
from pyhelm.engine.manifest import uninstall_order
from pyhelm.engine.release_info import ReleaseContext
from pyhelm.errors import (
    PyhelmError,
    ReleaseError,
    ReleaseNotFoundError,
)
from pyhelm.release.names import validate_release_name

if TYPE_CHECKING:
    from pyhelm.action.post_renderer import StreamRenderer
    from pyhelm.release.model import Release
    from pyhelm.storage.store import ReleaseStore


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
    force_replace: bool = False  # replace changed objects whole instead of applying
    skip_crds: bool = False  # with --install: no crds/ when the release is installed
    # crds/ on an upgrade: Helm's leaves them ("skip"); the controller's upgrade.crds
    # policy may "create" the absent ones or "replace" them all
    crds: str = "skip"
    no_hooks: bool = False
    skip_schema_validation: bool = False
    render_subchart_notes: bool = False
    location: ChartLocation = field(default_factory=ChartLocation)
    labels: Mapping[str, str | None] = field(default_factory=dict)
    post_renderer: StreamRenderer | None = None
    enable_dns: bool = False  # Helm charts' getHostByName resolves (else it gives "")
    hide_secret: bool = False  # with dry_run: print Secrets as a note (Helm's --hide-secret)


def _as_install(options: UpgradeOptions) -> install.InstallOptions:
    return install.InstallOptions(
        name=options.name, chart=options.chart, version=options.version,
        namespace=options.namespace, values=options.values,
        create_namespace=options.create_namespace, dry_run=options.dry_run, wait=options.wait,
        wait_for_jobs=options.wait_for_jobs, atomic=options.atomic, timeout=options.timeout,
        description=options.description, take_ownership=options.take_ownership,
        force_conflicts=options.force_conflicts, force_replace=options.force_replace,
        skip_crds=options.skip_crds,
        no_hooks=options.no_hooks, skip_schema_validation=options.skip_schema_validation,
        render_subchart_notes=options.render_subchart_notes, location=options.location,
        labels=options.labels, post_renderer=options.post_renderer,
        enable_dns=options.enable_dns, hide_secret=options.hide_secret)


def run(cfg: Configuration, options: UpgradeOptions) -> Release:
    install.check_hide_secret(options.hide_secret, options.dry_run)
    validate_release_name(options.name)
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    with store.remembering():  # the history is read once (then superseded, pruned)
        return _upgrade(cfg, options, namespace, store)


def _upgrade(cfg: Configuration, options: UpgradeOptions, namespace: str,
             store: ReleaseStore) -> Release:
    try:
        revisions = history(store, options.name)
    except ReleaseNotFoundError:
        if options.install:
            return install.run(cfg, _as_install(options))
        raise ReleaseNotFoundError(
            f'release "{options.name}" not found in namespace "{namespace}" (use --install '
            "to install it)",
            helm_message=f'UPGRADE FAILED: "{options.name}" has no deployed releases') from None
    if store.recover(options.name):
        revisions = history(store, options.name)
    latest = revisions[-1]
    store.check_not_busy(latest)
    deployed = last_deployed(revisions)
    previous = deployed or latest
    source = open_chart_ref(options.chart, options.version,
                            paths=cfg.settings.repo_paths, location=options.location)
    chart = source.chart
    tell_if_deprecated(chart)
    revision = latest.version + 1
    outcome = render_for_release(
        cfg, source, options.values,
        ReleaseContext(options.name, namespace, revision, is_install=False, is_upgrade=True),
        reuse=reuse_rule(options.reset_values, options.reuse_values,
                         options.reset_then_reuse_values, previous),
        offline=options.dry_run == "client",
        skip_schema_validation=options.skip_schema_validation,
        subchart_notes=options.render_subchart_notes, post_renderer=options.post_renderer,
        enable_dns=options.enable_dns)
    rendered, values = outcome.rendered, outcome.config
    release = new_release(name=options.name, namespace=namespace, revision=revision,
                          chart=chart, config=values, rendered=rendered,
                          state="pending-upgrade",
                          description=options.description or "Upgrade underway",
                          now=cfg.clock(), first_deployed=latest.info.first_deployed,
                          labels=install.release_labels(latest.labels, options.labels))
    if options.dry_run:
        if options.dry_run == "server":
            server_dry_run(cfg, rendered, ReleaseRef(options.name, namespace),
                                   take_ownership=options.take_ownership,
                                   force_conflicts=options.force_conflicts)
        if options.hide_secret:
            release = with_secrets_hidden(release, rendered)
        return with_outcome(release, state="pending-upgrade", description="Dry run complete",
                            now=cfg.clock())
    store.check_size(release)
    claim(store, release, latest)
    settings = RolloutSettings(
        release=ReleaseRef(options.name, namespace), event="upgrade", timeout=options.timeout,
        wait=options.wait or options.atomic, wait_for_jobs=options.wait_for_jobs,
        no_hooks=options.no_hooks, crds=options.crds,
        take_ownership=options.take_ownership, force_conflicts=options.force_conflicts,
        force_replace=options.force_replace, owned=deployed_objects(deployed, namespace))
    report = RolloutReport()
    try:
        rollout(cfg, rendered, settings, possibly_live(revisions), report)
    except PyhelmError as exc:
        _fail(cfg, store, release, report, exc, options, previous)
        raise
    done = with_outcome(release, state="deployed",
                        description=options.description or "Upgrade complete",
                        now=cfg.clock(), hooks=rendered.hooks, runs=report.hooks)
    finish(cfg, store, release, done)
    prune_history(store, options.name, options.history_max)
    return done


def _fail(cfg: Configuration, store: Any, release: Any, report: RolloutReport,
          exc: PyhelmError, options: UpgradeOptions, previous: Any) -> None:
    reason = f"Upgrade {release.name!r} failed: {failure_reason(exc)}"
    record_failure(store, with_outcome(release, state="failed", description=reason,
                                       now=cfg.clock()), exc)
    if options.cleanup_on_fail:
        failures: list[str] = []
        delete_manifests(cfg.kube, uninstall_order(report.applied.created), release.namespace,
                         failures=failures)
        if failures:
            reason += f"; --cleanup-on-fail {describe_delete_failures(failures)}"
            if not options.atomic:
                raise ReleaseError(reason) from exc
    if options.atomic:
        newest = max(r.version for r in store.history(release.name, fresh=True))
        if newest != release.version:  # never roll back over a newer operation's revision
            raise ReleaseError(f"{reason}; not rolled back: revision {newest} was recorded "
                               "since") from exc
        from pyhelm.action import rollback

        try:
            rollback.run(cfg, rollback.RollbackOptions(
                name=release.name, namespace=release.namespace, revision=previous.version,
                wait=True, timeout=options.timeout, force_conflicts=True,
                history_max=options.history_max))
        except PyhelmError as undo:
            raise ReleaseError(f"{reason}; and the rollback to revision {previous.version} "
                               f"(--atomic) failed too: {undo}") from exc
        raise ReleaseError(f"{reason}; rolled back to revision {previous.version} "
                           "(--atomic)") from exc


