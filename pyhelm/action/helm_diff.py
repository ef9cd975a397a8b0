"""helm-diff's verbs, built in: ``diff upgrade``, ``diff revision``, ``diff rollback`` and
``diff release`` read what helm-diff reads (through pyhelm's own records and renderer,
not by running ``helm``) and compare it as helm-diff does (``diff_report``).

``diff upgrade`` compares the release's manifest and hooks (``helm get manifest`` and
``helm get hooks``) with what ``helm template --is-upgrade`` renders for the chart and
values: without any value flag, and with ``--reuse-values``, the release's computed
values come first (``helm get values --all``; only the user-supplied ones with
``--reset-then-reuse-values``), as helm-diff passes them; ``--reset-values`` drops them.
The chart is rendered against the cluster (its capabilities, ``lookup``) unless
``--dry-run``/``--dry-run=client`` asks for no cluster access, which also means no
release is read (everything shows as added). A release that does not exist is an error
unless ``--allow-unreleased`` (or ``--install``).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pyhelm import yamlio
from pyhelm.action import diff_manifests, diff_report
from pyhelm.action.chart_source import ChartLocation, open_chart_ref
from pyhelm.action.configuration import Configuration
from pyhelm.action.lookup import history, revision
from pyhelm.action.rendering import render_for_release
from pyhelm.action.values_options import ValueOptions
from pyhelm.engine.manifest import manifest_text
from pyhelm.engine.release_info import ReleaseContext
from pyhelm.errors import (
    DiffChangesFound,
    DiffReleaseMissing,
    IncomparableReleases,
    PyhelmError,
    ReleaseNotFoundError,
    RenderError,
)
from pyhelm.helm_reference import HELM_DIFF_VERSION

if TYPE_CHECKING:
    from pyhelm.action.post_renderer import StreamRenderer
    from pyhelm.release.model import Release

VERSION = HELM_DIFF_VERSION
NOT_RELEASED = ("********************\n\n\tRelease was not present in Helm.  Include the "
                "`--allow-unreleased` to perform diff without exiting in error.\n\n"
                "********************\n")


def changes_found() -> DiffChangesFound:
    """--detailed-exitcode and something would change: helm-diff's error."""
    return DiffChangesFound("identified at least one change, exiting with non-zero exit "
                            "code (detailed-exitcode parameter enabled)")


def incomparable(first: str, second: str) -> IncomparableReleases:
    """``diff release`` of releases of two charts (helm-diff says so on stdout, exit 0)."""
    return IncomparableReleases(
        f'unable to compare releases from two different charts "{first}", "{second}"',
        f"Error : Incomparable Releases \n Unable to compare releases from two different "
        f'charts "{first}", "{second}". \n try helm diff release --help to know more \n')


def release_missing(name: str) -> DiffReleaseMissing:
    """helm-diff's error when the release is missing: its banner, then the error of the
    ``helm get manifest`` it ran."""
    return DiffReleaseMissing(f'release "{name}" not found',
                              "exit status 1: Error: release: not found\n", NOT_RELEASED)


@dataclass(frozen=True, kw_only=True)
class UpgradeDiffOptions:
    name: str
    chart: str
    namespace: str
    version: str | None = None
    location: ChartLocation = field(default_factory=ChartLocation)
    values: ValueOptions = field(default_factory=ValueOptions)
    reuse_values: bool = False
    reset_values: bool = False
    reset_then_reuse_values: bool = False
    allow_unreleased: bool = False
    dry_run: str = "none"  # none, client, server, true, false (helm-diff's --dry-run)
    no_hooks: bool = False
    include_tests: bool = False
    include_crds: bool = False
    normalize_manifests: bool = False
    disable_validation: bool = False
    skip_schema_validation: bool = False
    enable_dns: bool = False
    post_renderer: StreamRenderer | None = None
    report: diff_report.ReportOptions = field(default_factory=diff_report.ReportOptions)


def diff_upgrade(cfg: Configuration, options: UpgradeDiffOptions) -> diff_report.Report:
    cluster = options.dry_run in ("none", "false", "server")
    latest: Release | None = None
    if cluster:
        try:
            latest = history(cfg.store(options.namespace), options.name)[-1]
        except ReleaseNotFoundError:
            if not options.allow_unreleased:
                raise release_missing(options.name) from None
    excluded = () if options.include_tests else diff_manifests.TEST_HOOKS
    old: dict[str, diff_manifests.Spec] = {}
    if latest is not None:
        hooks = "" if options.no_hooks else _hooks_text(latest)
        old = diff_manifests.parse(latest.manifest + "\n" + hooks, options.namespace,
                                   normalize=options.normalize_manifests,
                                   excluded_hooks=excluded)
    new = diff_manifests.parse(_rendered_text(cfg, options, latest, cluster),
                               options.namespace, normalize=options.normalize_manifests,
                               excluded_hooks=excluded)
    return diff_report.compare(old, new, options.report)


def _hooks_text(release: Release) -> str:
    """What ``helm get hooks`` prints."""
    return "".join(f"---\n# Source: {h.path}\n{h.manifest}\n" for h in release.hooks or [])


def _rendered_text(cfg: Configuration, options: UpgradeDiffOptions,
                   latest: Release | None, cluster: bool) -> str:
    """What ``helm template NAME CHART --is-upgrade ...`` prints, as helm-diff runs it."""
    values = options.values
    reuse = options.reuse_values or options.reset_then_reuse_values or (
        latest is not None and values.is_empty())
    with tempfile.TemporaryDirectory(prefix="existing-values") as temp:
        if reuse and latest is not None and not options.reset_values and cluster:
            from pyhelm.action.history import release_values

            computed = not (options.reset_then_reuse_values and not options.reuse_values)
            existing = os.path.join(temp, "values.yaml")
            with open(existing, "w") as out:
                out.write(yamlio.dump(release_values(latest, computed)))
            values = replace(values, values_files=(existing, *values.values_files))
        try:
            source = open_chart_ref(options.chart, options.location.version(options.version),
                                    paths=cfg.settings.repo_paths, location=options.location)
            outcome = render_for_release(
                cfg, source, values,
                ReleaseContext(options.name, options.namespace, 1,
                               is_install=latest is None, is_upgrade=latest is not None),
                offline=not cluster or options.disable_validation,
                skip_schema_validation=options.skip_schema_validation,
                post_renderer=options.post_renderer, enable_dns=options.enable_dns)
        except PyhelmError as exc:  # helm-diff reports the `helm template` it ran
            message = getattr(exc, "helm_message", None) or str(exc)
            raise RenderError(f"Failed to render chart: exit status 1: Error: {message}\n"
                              ) from exc
    rendered = outcome.rendered
    resources = [*(rendered.crds if options.include_crds else ()), *rendered.manifests]
    hooks = [] if options.no_hooks else [h.manifest for h in rendered.hooks]
    return manifest_text(resources).strip() + "\n" + manifest_text(hooks)


# ------------------------------------------------------------------ stored revisions
@dataclass(frozen=True, kw_only=True)
class StoredDiffOptions:
    namespace: str
    include_tests: bool = False
    normalize_manifests: bool = False
    report: diff_report.ReportOptions = field(default_factory=diff_report.ReportOptions)

    def parse(self, release: Release, namespace: str | None = None
              ) -> dict[str, diff_manifests.Spec]:
        excluded = () if self.include_tests else diff_manifests.TEST_HOOKS
        return diff_manifests.parse(release.manifest + "\n", namespace or self.namespace,
                                    normalize=self.normalize_manifests,
                                    excluded_hooks=excluded)


def _revision(cfg: Configuration, namespace: str, name: str, number: int) -> Release:
    """``helm get manifest NAME --revision N`` (0: the latest)."""
    try:
        return revision(cfg.store(namespace), name, number or None)
    except ReleaseNotFoundError:
        raise ReleaseNotFoundError(f'release "{name}" not found',
                                   "exit status 1: Error: release: not found\n") from None


def diff_revisions(cfg: Configuration, name: str, revisions: tuple[int, ...],
                   options: StoredDiffOptions) -> diff_report.Report:
    """``diff revision NAME A [B]``: revision A against the latest, or the older of A
    and B against the newer."""
    if len(revisions) == 1:
        old = _revision(cfg, options.namespace, name, revisions[0])
        new = _revision(cfg, options.namespace, name, 0)
    else:
        first, second = sorted(revisions)
        old = _revision(cfg, options.namespace, name, first)
        new = _revision(cfg, options.namespace, name, second)
    return diff_report.compare(options.parse(old), options.parse(new), options.report)


def diff_rollback(cfg: Configuration, name: str, number: int,
                  options: StoredDiffOptions) -> diff_report.Report:
    """``diff rollback NAME N``: the latest revision against revision N."""
    latest = _revision(cfg, options.namespace, name, 0)
    target = _revision(cfg, options.namespace, name, number)
    return diff_report.compare(options.parse(latest), options.parse(target), options.report)


def diff_releases(cfg: Configuration, first: str, second: str,
                  options: StoredDiffOptions) -> diff_report.Report:
    """``diff release [NS/]A [NS/]B``: two releases of one chart, their objects matched
    by template name (helm-diff's Releases)."""
    releases = []
    for given in (first, second):
        namespace, _, name = given.rpartition("/")
        releases.append((namespace or options.namespace,
                         _revision(cfg, namespace or options.namespace, name, 0)))
    charts = [r.chart.metadata.name for _, r in releases]
    if charts[0] != charts[1]:
        raise incomparable(charts[0], charts[1])
    old, new = (_by_template(options.parse(r, ns)) for ns, r in releases)
    return diff_report.compare(old, new, options.report)


def _by_template(index: dict[str, diff_manifests.Spec]) -> dict[str, diff_manifests.Spec]:
    """helm-diff's reIndexForRelease: keys become the ``# Source:`` of each object
    (numbered from the second object of one file on)."""
    out: dict[str, diff_manifests.Spec] = {}
    counts: dict[str, int] = {}
    for key in sorted(index):
        spec = index[key]
        source = spec.content.split("\n", 1)[0].replace("# Source: ", "", 1)
        if source in out:
            counts[source] += 1
            source = f"{source} {counts[source]}"
        else:
            counts[source] = 1
        out[source] = replace(spec, key=source)
    return out
