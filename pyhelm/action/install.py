"""``install``: record revision 1 as pending-install, roll it out, record the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyhelm.action.apply import (
    FIELD_MANAGER,
    ReleaseRef,
    delete_manifests,
    describe_delete_failures,
)
from pyhelm.action.chart_source import ChartLocation, open_chart_ref
from pyhelm.action.configuration import Configuration
from pyhelm.action.lifecycle import record_failure, server_dry_run
from pyhelm.action.lookup import possibly_live
from pyhelm.action.records import new_release, with_outcome, with_secrets_hidden
from pyhelm.action.rendering import render_for_release, tell_if_deprecated
from pyhelm.action.rollout import (
    RolloutReport,
    RolloutSettings,
    failure_reason,
    rollout,
)
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.model import Chart
from pyhelm.engine.manifest import Rendered, uninstall_order
from pyhelm.engine.release_info import ReleaseContext
from pyhelm.errors import (
    KubeNotFoundError,
    KubeUnreachableError,
    PyhelmError,
    ReleaseError,
    ReleaseExistsError,
    UsageError,
)
from pyhelm.release.names import validate_release_name
from pyhelm.storage.driver import SYSTEM_LABELS, custom_labels

if TYPE_CHECKING:
    from pyhelm.action.post_renderer import StreamRenderer
    from pyhelm.release.model import Release


@dataclass(frozen=True, kw_only=True)
class InstallOptions:
    name: str | None
    chart: str
    version: str | None = None
    namespace: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)
    generate_name: bool = False
    create_namespace: bool = False
    dry_run: str | None = None  # None, "client" or "server"
    wait: bool = False
    wait_for_jobs: bool = False
    atomic: bool = False
    timeout: float = 300.0
    description: str = ""
    take_ownership: bool = False
    force_conflicts: bool = False
    force_replace: bool = False  # replace changed objects whole instead of applying
    skip_crds: bool = False
    replace_crds: bool = False  # apply crds/ over existing CRDs (Flux's CreateReplace)
    no_hooks: bool = False
    skip_schema_validation: bool = False
    render_subchart_notes: bool = False
    location: ChartLocation = field(default_factory=ChartLocation)
    labels: Mapping[str, str | None] = field(default_factory=dict)  # -l: release labels
    post_renderer: StreamRenderer | None = None
    enable_dns: bool = False  # Helm charts' getHostByName resolves (else it gives "")
    hide_secret: bool = False  # with dry_run: print Secrets as a note (Helm's --hide-secret)
    replace: bool = False  # reuse the name of a release uninstalled with its history, or failed
    name_template: str = ""  # a Go template (with Sprig) that makes the name, as Helm's


def release_name(options: InstallOptions, chart: Chart, clock_seconds: int) -> str:
    if options.name_template:
        if options.name:
            raise UsageError("cannot set --name-template and also specify a name")  # Helm's
        return template_name(options.name_template)
    if options.generate_name:
        if options.name:
            raise UsageError("give a release name or --generate-name, not both")
        return f"{chart.name}-{clock_seconds}"[:53]
    if not options.name:
        raise UsageError("must either provide a name or specify --generate-name")  # Helm's
    return options.name


def template_name(text: str) -> str:
    """Helm's --name-template: the release name a Go template with Sprig makes."""
    from pyhelm.engine.go_template import execute

    return execute(text, "name", {}).checked()


def release_labels(previous: Mapping[str, str], given: Mapping[str, str | None]
                   ) -> dict[str, str]:
    """``-l k=v``: labels recorded on the release's storage objects (as Helm records them),
    merged over the previous revision's; a null value removes one. Helm's own labels are
    refused."""
    reserved = sorted(set(given) & set(SYSTEM_LABELS))
    if reserved:
        raise UsageError("user supplied labels contains system reserved label name. System "
                         f"labels: [{' '.join(SYSTEM_LABELS)}]")
    merged = {**custom_labels(previous), **given}
    return {k: v for k, v in merged.items() if v is not None}


def _namespace(cfg: Configuration, *, offline: bool) -> str:
    """The kubeconfig's namespace; offline (``--dry-run=client``) a kubeconfig that cannot
    be read means "default", as in Helm, since no cluster is contacted."""
    try:
        return cfg.namespace
    except KubeUnreachableError:
        if offline:
            return "default"
        raise


def _ensure_namespace(cfg: Configuration, namespace: str) -> None:
    try:
        cfg.kube.get("v1", "Namespace", namespace)
    except KubeNotFoundError:
        cfg.kube.apply({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": namespace}}, field_manager=FIELD_MANAGER)


def _install_revision(store: Any, name: str, namespace: str, replace: bool,
                      clock: Any) -> tuple[int, Any]:
    """1 for a new name; the next number when the name's kept history ends uninstalled
    or failed and ``replace`` is asked (Helm's --replace: the last revision is marked
    superseded unless it failed), or in an install or uninstall whose process died
    (recovered here as upgrades recover; that revision is returned too, its objects are
    what may be live); an error while the name is in use."""
    revisions = store.history(name)
    if not revisions:
        return 1, None
    latest = max(revisions, key=lambda r: r.version)
    if latest.info.status.is_pending:
        if not store.recover(name):
            store.check_not_busy(latest)  # a live operation holds it: raises
        if str(latest.info.status) in ("pending-install", "uninstalling"):
            return int(latest.version) + 1, latest
    if not replace or str(latest.info.status) not in ("uninstalled", "failed"):
        raise ReleaseExistsError(f'release "{name}" in namespace "{namespace}": cannot '
                                 "re-use a name that is still in use")
    if str(latest.info.status) == "uninstalled":
        store.update(with_outcome(latest, state="superseded",
                                  description="superseded by new release",
                                  now=latest.info.last_deployed or clock()))
    return int(latest.version) + 1, None


def check_hide_secret(hide_secret: bool, dry_run: str | None) -> None:
    if hide_secret and not dry_run:
        raise UsageError("hiding Kubernetes secrets requires a dry-run mode")  # Helm's


def run(cfg: Configuration, options: InstallOptions) -> Release:
    """Install; returns the Release as recorded (deployed), or raises after recording
    it failed (and uninstalling it with ``atomic``)."""
    check_hide_secret(options.hide_secret, options.dry_run)
    source = open_chart_ref(options.chart, options.version,
                            paths=cfg.settings.repo_paths, location=options.location)
    chart = source.chart
    tell_if_deprecated(chart)
    client_only = options.dry_run == "client"
    namespace = options.namespace or _namespace(cfg, offline=client_only)
    name = release_name(options, chart, int(cfg.clock().timestamp()))
    validate_release_name(name)
    revision, interrupted = (1, None) if client_only else _install_revision(
        cfg.store(namespace), name, namespace, options.replace, cfg.clock)
    outcome = render_for_release(
        cfg, source, options.values, ReleaseContext(name, namespace, revision),
        offline=client_only, skip_schema_validation=options.skip_schema_validation,
        subchart_notes=options.render_subchart_notes, post_renderer=options.post_renderer,
        enable_dns=options.enable_dns)
    rendered, values = outcome.rendered, outcome.config
    now = cfg.clock()
    release = new_release(name=name, namespace=namespace, revision=revision, chart=chart,
                          config=values, rendered=rendered, state="pending-install",
                          description=options.description or "Initial install underway",
                          now=now, labels=release_labels({}, options.labels))
    if options.dry_run:
        if options.dry_run == "server":
            server_dry_run(cfg, rendered, ReleaseRef(name, namespace),
                           take_ownership=options.take_ownership,
                           force_conflicts=options.force_conflicts)
        if options.hide_secret:
            release = with_secrets_hidden(release, rendered)
        return with_outcome(release, state="pending-install", description="Dry run complete",
                            now=now)
    cfg.store(namespace).check_size(release)  # before anything is written
    if options.create_namespace:
        _ensure_namespace(cfg, namespace)  # the release record lives in it too
    store = cfg.store(namespace)
    try:
        store.create(release)
    except ReleaseExistsError as exc:
        raise ReleaseExistsError(f'release "{name}" in namespace "{namespace}": cannot '
                                 "re-use a name that is still in use") from exc
    settings = RolloutSettings(
        release=ReleaseRef(name, namespace), event="install", timeout=options.timeout,
        wait=options.wait or options.atomic, wait_for_jobs=options.wait_for_jobs,
        no_hooks=options.no_hooks,
        crds="skip" if options.skip_crds else "replace" if options.replace_crds else "create",
        take_ownership=options.take_ownership, force_conflicts=options.force_conflicts,
        force_replace=options.force_replace)
    report = RolloutReport()
    try:
        # after an interrupted install or uninstall, its objects are pruned if not wanted
        rollout(cfg, rendered, settings,
                possibly_live(store.history(name)) if interrupted else (), report=report)
    except PyhelmError as exc:
        _record_failure(cfg, store, release, rendered, report, exc, atomic=options.atomic)
        raise
    done = with_outcome(release, state="deployed",
                        description=options.description or "Install complete",
                        now=cfg.clock(), hooks=rendered.hooks, runs=report.hooks)
    store.update(done)  # conditional: fails if another operation took the release
    return done


def _record_failure(cfg: Configuration, store: Any, release: Any, rendered: Rendered,
                    report: RolloutReport, exc: PyhelmError, *, atomic: bool) -> None:

    reason = f"Release {release.name!r} failed: {failure_reason(exc)}"
    record_failure(store, with_outcome(release, state="failed", description=reason,
                                       now=cfg.clock(), hooks=rendered.hooks,
                                       runs=report.hooks), exc)
    if atomic:
        failures: list[str] = []
        delete_manifests(cfg.kube, uninstall_order(rendered.manifests), release.namespace,
                         failures=failures)
        if failures:  # keep the failed record: `uninstall` can finish the job
            raise ReleaseError(f"{reason}; --atomic cleanup incomplete, the release is kept "
                               f"(failed): {describe_delete_failures(failures)}") from exc
        store.delete(release.name, release.version)
        store.sweep(release.name)
        raise ReleaseError(f"{reason}; the release was uninstalled (--atomic)") from exc
