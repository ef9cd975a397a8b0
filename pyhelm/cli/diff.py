"""``pyhelm diff``: the helm-diff plugin's command line, built in (``diff upgrade``,
``diff revision``, ``diff rollback``, ``diff release``, ``diff version``), so that helmfile
and CI scripts that run ``helm diff ...`` get helm-diff's output and exit codes
(``--detailed-exitcode``: 2 when something would change). ``diff upgrade --output live``
keeps pyhelm's earlier diff: the live objects against a server-side dry run of the
upgrade, as a colored unified diff per object. An installed plugin named ``diff`` answers
``pyhelm diff`` instead (see ``plugin_commands``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pyhelm.cli.common import values_options
from pyhelm.cli.globals import settings
from pyhelm.cli.install import value_options
from pyhelm.cli.output import configuration
from pyhelm.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
COLORS = {"+": "green", "-": "red", "@": "cyan"}


_COLOR_WORDS = ("never", "auto", "always")


class _DiffCommand(click.Command):
    """helm-diff's flags that pflag reads and click does not: a bare ``--dry-run`` means
    ``--dry-run=client`` (NoOptDefVal), and helm-diff's boolean ``--color`` is pyhelm's
    ``--color always`` (``--color=false``: never)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words: list[str] = []
        for index, word in enumerate(args):
            if word == "--":
                words.extend(args[index:])
                break
            following = args[index + 1] if index + 1 < len(args) else ""
            if word == "--dry-run":
                word = "--dry-run=client"
            elif word == "--color" and following not in _COLOR_WORDS:
                word = "--color=always"
            elif word.startswith("--color=") and word[8:] not in _COLOR_WORDS:
                value = word[8:]
                if value not in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F",
                                 "FALSE", "false", "False"):
                    raise UsageError(f'invalid argument "{value}" for "--color" flag: '
                                     f'strconv.ParseBool: parsing "{value}": invalid syntax')
                word = "--color=always" if value in ("1", "t", "T", "TRUE", "true",
                                                     "True") else "--color=never"
            words.append(word)
        return super().parse_args(ctx, words)


class _DiffGroup(click.Group):
    """helm-diff's root command: ``diff RELEASE CHART`` is a deprecated ``diff upgrade``."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            click.echo('Command "helm diff" is deprecated, use "helm diff upgrade" instead',
                       err=True)
            return super().resolve_command(ctx, ["upgrade", *args])
        return super().resolve_command(ctx, args)


@click.group("diff", cls=_DiffGroup)
def diff_command() -> None:
    """Show manifest differences (helm-diff's commands, built in)."""


def report_options(func: F) -> F:
    """helm-diff's AddDiffOptions and its color flags."""
    for option in reversed([
        click.option("-q", "--suppress-secrets", is_flag=True,
                     help="suppress secrets in the output"),
        click.option("--show-secrets", is_flag=True,
                     help="do not redact secret values in the output"),
        click.option("--show-secrets-decoded", is_flag=True,
                     help="decode secret values in the output"),
        click.option("--suppress", "suppressed", multiple=True,
                     help="allows suppression of the kinds listed in the diff output"),
        click.option("-C", "--context", "context", type=int, default=None,
                     help="output NUM lines of context around changes"),
        click.option("--output", default=None,
                     help="diff, simple, template or json (dyff and structured: not yet); "
                     "live: pyhelm's earlier diff against the live objects (upgrade)"),
        click.option("--strip-trailing-cr", is_flag=True,
                     help="strip trailing carriage return on input"),
        click.option("-D", "--find-renames", type=float, default=0.0,
                     help="detect renames: the largest fraction of changed lines"),
        click.option("--suppress-output-line-regex", multiple=True,
                     help="a regex to suppress diff output lines that match"),
        click.option("--no-color", is_flag=True, help="remove colors from the output"),
        click.option("--detailed-exitcode", is_flag=True,
                     help="return a non-zero exit code when there are changes"),
        click.option("--include-tests", is_flag=True,
                     help="enable the diffing of the helm test hooks"),
        click.option("--normalize-manifests", is_flag=True,
                     help="normalize manifests before running diff"),
    ]):
        func = option(func)
    return func


def _report(kwargs: dict[str, Any], *, with_context_env: bool = True) -> Any:
    """The report options from the flags (popped) and helm-diff's variables."""
    from pyhelm.action.diff_report import ReportOptions

    output = kwargs.pop("output") or os.environ.get("HELM_DIFF_OUTPUT", "").strip() or "diff"
    context = kwargs.pop("context")
    if context is None:
        context = -1
        text = os.environ.get("HELM_DIFF_OUTPUT_CONTEXT", "")
        if with_context_env and text.lstrip("-").isdigit():
            context = int(text)
    suppressed = tuple(kwargs.pop("suppressed"))
    if kwargs.pop("suppress_secrets"):
        suppressed += ("Secret",)
    return ReportOptions(
        output=output, context=context, strip_trailing_cr=kwargs.pop("strip_trailing_cr"),
        show_secrets=kwargs.pop("show_secrets"),
        show_secrets_decoded=kwargs.pop("show_secrets_decoded"), suppressed_kinds=suppressed,
        find_renames=kwargs.pop("find_renames"),
        suppress_output_line_regex=tuple(kwargs.pop("suppress_output_line_regex")))


def _colored(ctx: click.Context, kwargs: dict[str, Any]) -> bool:
    """helm-diff's rule: --no-color, or --color/HELM_DIFF_COLOR false, turn colors off,
    --color or HELM_DIFF_COLOR true on; otherwise colors only on a terminal whose TERM is
    not "dumb". pyhelm's --color never|always (and HELM_COLOR, NO_COLOR) count as
    --color false|true."""
    no_color = kwargs.pop("no_color")
    chosen = settings(ctx).color
    flag = {"never": False, "always": True}.get(chosen)
    if flag is None:
        text = os.environ.get("HELM_DIFF_COLOR", "")
        flag = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
                "0": False, "f": False, "F": False, "FALSE": False, "false": False,
                "False": False}.get(text)
    if no_color or flag is False:
        return False
    if flag:
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _print(report: Any, options: Any, color: bool, detailed: bool) -> None:
    from pyhelm.action.diff_report import render
    from pyhelm.action.helm_diff import changes_found

    click.echo(render(report, options, color=color), nl=False, color=color)
    if detailed and report.changed:
        raise changes_found()


def _namespace(ctx: click.Context) -> str:
    from pyhelm.cli.plugin_commands import context_namespace

    return context_namespace(settings(ctx)) or "default"


def _stored(ctx: click.Context, kwargs: dict[str, Any]) -> Any:
    from pyhelm.action.helm_diff import StoredDiffOptions

    return StoredDiffOptions(namespace=_namespace(ctx),
                             include_tests=kwargs.pop("include_tests"),
                             normalize_manifests=kwargs.pop("normalize_manifests"),
                             report=_report(kwargs))


@diff_command.command("upgrade", cls=_DiffCommand)
@click.argument("args", nargs=-1)
@click.option("--version", default=None, help="the exact chart version to use")
@click.option("--repo", default=None, help="the chart repository url to find the chart in")
@click.option("--devel", is_flag=True, help="use development versions, too")
@click.option("--reuse-values", is_flag=True)
@click.option("--reset-values", is_flag=True)
@click.option("--reset-then-reuse-values", is_flag=True)
@click.option("--allow-unreleased", is_flag=True,
              help="enables diffing of releases that are not yet deployed via Helm")
@click.option("--install", is_flag=True, help="the same as --allow-unreleased")
@click.option("--no-hooks", is_flag=True, help="disable diffing of hooks")
@click.option("--include-crds", is_flag=True, help="include CRDs in the diffing")
@click.option("--disable-validation", is_flag=True)
@click.option("--disable-openapi-validation", is_flag=True)
@click.option("--skip-schema-validation", is_flag=True)
@click.option("--enable-dns", is_flag=True)
@click.option("--dry-run", default=None,
              help="--dry-run (client): no cluster access; --dry-run=server: with lookup")
@click.option("--insecure-skip-tls-verify", is_flag=True)
@click.option("--server-side", default="auto", help="true, false or auto (accepted)")
@click.option("--three-way-merge", is_flag=True)
@click.option("--take-ownership", is_flag=True)
@click.option("-a", "--api-versions", multiple=True, help="(accepted; the cluster's are used)")
@click.option("--kube-version", default=None, help="(accepted; the cluster's is used)")
@click.option("--post-renderer", default=None)
@click.option("--post-renderer-args", multiple=True)
@report_options
@values_options
@click.pass_context
def diff_upgrade(ctx: click.Context, /, args: tuple[str, ...], **kwargs: Any) -> None:
    """Show a diff explaining what a helm upgrade would change: diff upgrade RELEASE CHART."""
    if len(args) != 2:
        raise UsageError("This command needs 2 arguments: release name, chart path")
    name, chart = args
    color = _colored(ctx, kwargs)
    detailed = kwargs.pop("detailed_exitcode")
    if (kwargs.get("output") or "") == "live":
        kwargs["output"] = "diff"
        _report(kwargs)
        _live(ctx, name, chart, kwargs, color)
        return
    options = _upgrade_options(ctx, name, chart, kwargs)
    from pyhelm.action.helm_diff import diff_upgrade
    from pyhelm.errors import DiffReleaseMissing

    try:
        report = diff_upgrade(configuration(ctx), options)
    except DiffReleaseMissing as exc:
        click.echo(exc.banner, nl=False, err=True)
        raise
    _print(report, options.report, color, detailed)


def _upgrade_options(ctx: click.Context, name: str, chart: str, kwargs: dict[str, Any]
                     ) -> Any:
    from pyhelm.action.chart_source import ChartLocation
    from pyhelm.action.helm_diff import UpgradeDiffOptions

    dry_run = kwargs.pop("dry_run") or "none"
    if dry_run not in ("client", "server", "true", "false", "none"):
        raise UsageError(f'flag "dry-run" must take a bool value or either "client" or '
                         f'"server", but got "{dry_run}"')
    server_side = kwargs.pop("server_side")
    if server_side not in ("true", "false", "auto"):
        raise UsageError(f'flag "server-side" must be "true", "false" or "auto", but got '
                         f'"{server_side}"')
    three_way = kwargs.pop("three_way_merge") or os.environ.get(
        "HELM_DIFF_THREE_WAY_MERGE") == "true"
    if three_way or kwargs.pop("take_ownership"):
        raise UsageError("--three-way-merge and --take-ownership are not supported by "
                         "pyhelm's built-in diff yet (--output live compares with the live "
                         "objects)")
    renderer = None
    if kwargs.get("post_renderer"):
        from pyhelm.cli.common import post_renderer

        renderer = post_renderer(kwargs, settings(ctx).plugin_dirs)
    normalize = kwargs.pop("normalize_manifests") or os.environ.get(
        "HELM_DIFF_NORMALIZE_MANIFESTS") == "true"
    return UpgradeDiffOptions(
        name=name, chart=chart, namespace=_namespace(ctx), version=kwargs.pop("version"),
        location=ChartLocation(repo_url=kwargs.pop("repo"), devel=kwargs.pop("devel"),
                               insecure_skip_tls_verify=kwargs.pop(
                                   "insecure_skip_tls_verify")),
        values=value_options(kwargs), reuse_values=kwargs.pop("reuse_values"),
        reset_values=kwargs.pop("reset_values"),
        reset_then_reuse_values=kwargs.pop("reset_then_reuse_values"),
        allow_unreleased=kwargs.pop("allow_unreleased") or kwargs.pop("install"),
        dry_run=dry_run, no_hooks=kwargs.pop("no_hooks"),
        include_tests=kwargs.pop("include_tests"), include_crds=kwargs.pop("include_crds"),
        normalize_manifests=normalize, disable_validation=kwargs.pop("disable_validation"),
        skip_schema_validation=kwargs.pop("skip_schema_validation"),
        enable_dns=kwargs.pop("enable_dns"), post_renderer=renderer,
        report=_report(kwargs))


def _live(ctx: click.Context, name: str, chart: str, kwargs: dict[str, Any],
          color: bool) -> None:
    """pyhelm's earlier diff: live objects against a server-side dry run."""
    from pyhelm.action.diff import DiffOptions, run

    diffs = run(configuration(ctx), DiffOptions(
        name=name, chart=chart, version=kwargs.pop("version"), values=value_options(kwargs),
        reuse_values=kwargs.pop("reuse_values"), reset_values=kwargs.pop("reset_values"),
        namespace=settings(ctx).namespace))
    if not diffs:
        click.echo("no changes")
        return
    for found in diffs:
        click.echo(f"{found.ref} ({found.change})")
        for line in found.diff.splitlines():
            paint = COLORS.get(line[:1])
            click.echo(click.style(line, fg=paint) if paint and color else line, color=color)


@diff_command.command("revision", cls=_DiffCommand)
@click.argument("args", nargs=-1)
@report_options
@click.pass_context
def diff_revision(ctx: click.Context, /, args: tuple[str, ...], **kwargs: Any) -> None:
    """Shows diff between revision's manifests: diff revision RELEASE REV1 [REV2]."""
    from pyhelm.action.helm_diff import diff_revisions

    if len(args) < 2:
        raise UsageError('Too few arguments to Command "revision".\nMinimum 2 arguments '
                         "required: release name, revision")
    if len(args) > 3:
        raise UsageError('Too many arguments to Command "revision".\nMaximum 3 arguments '
                         "allowed: release name, revision1, revision2")
    color, detailed = _colored(ctx, kwargs), kwargs.pop("detailed_exitcode")
    options = _stored(ctx, kwargs)
    report = diff_revisions(configuration(ctx), args[0], tuple(_atoi(a) for a in args[1:]),
                            options)
    _print(report, options.report, color, detailed and len(args) == 3)


@diff_command.command("rollback", cls=_DiffCommand)
@click.argument("args", nargs=-1)
@report_options
@click.pass_context
def diff_rollback_command(ctx: click.Context, /, args: tuple[str, ...], **kwargs: Any
                          ) -> None:
    """Show a diff explaining what a helm rollback could perform: RELEASE REVISION."""
    from pyhelm.action.helm_diff import diff_rollback

    if len(args) != 2:
        raise UsageError("This command needs 2 arguments: release name, revision number")
    color, detailed = _colored(ctx, kwargs), kwargs.pop("detailed_exitcode")
    options = _stored(ctx, kwargs)
    report = diff_rollback(configuration(ctx), args[0], _atoi(args[1]), options)
    _print(report, options.report, color, detailed)


@diff_command.command("release", cls=_DiffCommand)
@click.argument("args", nargs=-1)
@report_options
@click.pass_context
def diff_release_command(ctx: click.Context, /, args: tuple[str, ...], **kwargs: Any
                         ) -> None:
    """Shows diff between release's manifests: diff release [NS/]RELEASE1 [NS/]RELEASE2."""
    from pyhelm.action.helm_diff import diff_releases
    from pyhelm.errors import IncomparableReleases

    if len(args) < 2:
        raise UsageError('Too few arguments to Command "release".\nMinimum 2 arguments '
                         "required: release name-1, release name-2")
    color, detailed = _colored(ctx, kwargs), kwargs.pop("detailed_exitcode")
    options = _stored(ctx, kwargs)
    try:
        report = diff_releases(configuration(ctx), args[0], args[1], options)
    except IncomparableReleases as exc:
        click.echo(exc.text, nl=False)
        return
    _print(report, options.report, color, detailed)


@diff_command.command("version")
def diff_version() -> None:
    """Show version of the helm diff plugin."""
    from pyhelm.action.helm_diff import VERSION

    click.echo(VERSION)


def _atoi(text: str) -> int:
    """Go's strconv.Atoi as helm-diff uses it: a word that is no number is 0."""
    try:
        return int(text)
    except ValueError:
        return 0
