"""``pyhelm install NAME CHART`` and ``pyhelm upgrade NAME CHART``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from pyhelm.action.values_options import ValueOptions
from pyhelm.cli.common import (
    chart_location,
    chart_location_options,
    output_option,
    post_renderer,
    post_renderer_options,
    values_options,
)
from pyhelm.cli.globals import settings
from pyhelm.cli.output import configuration, print_release, seconds, timeout_option

F = TypeVar("F", bound=Callable[..., Any])


def rollout_options(func: F) -> F:
    """The flags install and upgrade share."""
    options = [
        click.option("--version", default=None, help="Chart version constraint."),
        click.option("--create-namespace", is_flag=True,
                     help="Create the release namespace if absent."),
        click.option("--dry-run", "dry_run", is_flag=False, flag_value="client", default=None,
                     type=click.Choice(["client", "server", "none"]),
                     help="Simulate: client (no cluster) or server (server dry-run)."),
        click.option("--wait", is_flag=True, help="Wait until all objects are ready."),
        click.option("--wait-for-jobs", is_flag=True, help="Also wait for Jobs to complete."),
        click.option("--atomic", "--rollback-on-failure", "atomic", is_flag=True,
                     help="Undo the operation if it fails (implies --wait)."),
        timeout_option,
        click.option("--description", default="", help="Custom description."),
        click.option("--take-ownership", is_flag=True,
                     help="Adopt existing objects not owned by this release."),
        click.option("--force-conflicts", is_flag=True,
                     help="Take fields other field managers own (server-side apply)."),
        click.option("--skip-crds", is_flag=True, help="Do not install CRDs from crds/."),
        click.option("--no-hooks", is_flag=True, help="Do not run hooks."),
        click.option("--skip-schema-validation", is_flag=True,
                     help="Do not validate values against values.schema.json."),
        click.option("--render-subchart-notes", is_flag=True,
                     help="Render subchart NOTES.txt along with the parent's."),
        click.option("-l", "--labels", "labels", multiple=True,
                     help="Labels for the release record: k=v[,k=v] (null unsets on upgrade)."),
        click.option("--force-replace", is_flag=True,
                     help="Force resource updates by replacement (PUT), not apply."),
        click.option("--hide-notes", is_flag=True,
                     help="Do not show notes in the output (they are still recorded)."),
        click.option("--enable-dns", is_flag=True,
                     help="Let Helm charts' getHostByName resolve names (off: it gives \"\")."),
        click.option("--hide-secret", is_flag=True,
                     help="With --dry-run: print each Secret as a note, not its content."),
        click.option("--disable-openapi-validation", is_flag=True, expose_value=False,
                     help="Accepted as Helm's: pyhelm validates only through the API server."),
        values_options,
        post_renderer_options,
        chart_location_options,
        output_option(),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# Helm 4 can also apply client-side (a three-way merge); pyhelm applies only server-side,
# and says so when asked otherwise rather than silently doing something else.
# install's is a boolean (default true); upgrade's and rollback's take true|false|auto.
install_server_side_option = click.option(
    "--server-side/--no-server-side", "server_side", default=True, show_default=True,
    help="Object updates run in the server (pyhelm always applies server-side).")
server_side_option = click.option(
    "--server-side", "server_side", default="auto",
    type=click.Choice(["true", "false", "auto"]),
    help="true, false or auto (pyhelm always applies server-side).")


def check_server_side(choice: str | bool) -> None:
    """Say when asked to apply client-side, which pyhelm does not do."""
    if choice in ("false", False):
        click.echo("WARNING: --server-side=false: pyhelm applies server-side only",
                   err=True)


def value_options(kwargs: dict[str, Any]) -> ValueOptions:
    from pyhelm.cli.pflag import string_slice

    return ValueOptions(
        values_files=string_slice(kwargs.pop("values_files")),
        set_values=tuple(kwargs.pop("set_values")),
        set_string_values=tuple(kwargs.pop("set_string_values")),
        set_file_values=tuple(kwargs.pop("set_file_values")),
        set_json_values=tuple(kwargs.pop("set_json_values")),
        set_literal_values=tuple(kwargs.pop("set_literal_values")))


def shared(kwargs: dict[str, Any], ctx: click.Context) -> dict[str, Any]:
    dry_run = kwargs.pop("dry_run")
    force_replace = _force_replace(kwargs)
    return {
        "values": value_options(kwargs), "version": kwargs.pop("version"),
        "create_namespace": kwargs.pop("create_namespace"),
        "dry_run": None if dry_run in (None, "none") else dry_run,
        "wait": kwargs.pop("wait"), "wait_for_jobs": kwargs.pop("wait_for_jobs"),
        "atomic": kwargs.pop("atomic"), "timeout": seconds(kwargs.pop("timeout")),
        "description": kwargs.pop("description"),
        "take_ownership": kwargs.pop("take_ownership"),
        "force_conflicts": kwargs.pop("force_conflicts"),
        "force_replace": force_replace, "skip_crds": kwargs.pop("skip_crds"),
        "no_hooks": kwargs.pop("no_hooks"),
        "skip_schema_validation": kwargs.pop("skip_schema_validation"),
        "render_subchart_notes": kwargs.pop("render_subchart_notes"),
        "location": chart_location(kwargs), "labels": parse_labels(kwargs.pop("labels")),
        "post_renderer": post_renderer(kwargs, settings(ctx).plugin_dirs),
        "enable_dns": kwargs.pop("enable_dns"), "hide_secret": kwargs.pop("hide_secret")}


def _force_replace(kwargs: dict[str, Any]) -> bool:
    force_replace = bool(kwargs.pop("force_replace"))
    if force_replace and kwargs.get("force_conflicts"):
        raise click.UsageError("if any flags in the group [force-replace force-conflicts] are "
                               "set none of the others can be; [force-conflicts force-replace] "
                               "were all set")
    return force_replace


def parse_labels(flags: tuple[str, ...]) -> dict[str, str | None]:
    """Helm's StringToString flag: "k=v,k2=v2", repeatable; the value null unsets."""
    labels: dict[str, str | None] = {}
    for flag in flags:
        for pair in filter(None, flag.split(",")):
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise click.UsageError(f'invalid argument "{flag}" for "-l, --labels" flag: '
                                       f"{pair} must be formatted as key=value")
            labels[key.strip()] = None if value == "null" else value
    return labels


@click.command("install")
@click.argument("args", nargs=-1, required=True)
@click.option("-g", "--generate-name", is_flag=True, help="Generate the release name.")
@rollout_options
@install_server_side_option
@click.option("--replace", is_flag=True,
              help="Reuse the name of a release uninstalled with its history, or failed.")
@click.option("--name-template", default="",
              help="A Go template (with Sprig) that makes the release name.")
@click.pass_context
def install_command(ctx: click.Context, /, args: tuple[str, ...], generate_name: bool,
                    output: str, hide_notes: bool, server_side: bool, replace: bool,
                    name_template: str, **kwargs: Any) -> None:
    """Install a chart: pyhelm install NAME CHART (or --generate-name CHART)."""
    from pyhelm.action import install
    from pyhelm.errors import ProvenanceError

    check_server_side(server_side)
    if len(args) not in (1, 2):
        raise click.UsageError("expected NAME CHART, or CHART with --generate-name")
    name, chart = (None, args[0]) if len(args) == 1 else args
    cfg = configuration(ctx)
    options = install.InstallOptions(name=name, chart=chart, generate_name=generate_name,
                                     namespace=settings(ctx).namespace, replace=replace,
                                     name_template=name_template,
                                     **shared(kwargs, ctx))
    try:
        release = install.run(cfg, options)
    except ProvenanceError as exc:  # Helm wraps what locating the chart says
        raise ProvenanceError(f"INSTALLATION FAILED: {exc}") from None
    print_release(release, output, hide_notes=hide_notes)


@click.command("upgrade")
@click.argument("name")
@click.argument("chart")
@click.option("-i", "--install", "install_missing", is_flag=True,
              help="Install the release when it does not exist.")
@click.option("--reuse-values", is_flag=True, help="Merge onto the last release's values.")
@click.option("--reset-values", is_flag=True, help="Start from the chart's defaults.")
@click.option("--reset-then-reuse-values", is_flag=True,
              help="Chart defaults, then the last release's values, then these.")
@click.option("--cleanup-on-fail", is_flag=True, help="Delete objects created by a failed "
              "upgrade.")
@click.option("--history-max", default=None, type=int,
              help="Revisions to keep (0: no limit; default $HELM_MAX_HISTORY or 10).")
@rollout_options
@server_side_option
@click.pass_context
def upgrade_command(ctx: click.Context, /, name: str, chart: str, install_missing: bool,
                    reuse_values: bool, reset_values: bool, reset_then_reuse_values: bool,
                    cleanup_on_fail: bool, history_max: int | None, output: str,
                    hide_notes: bool, server_side: str, **kwargs: Any) -> None:
    """Upgrade a release to a new chart or values."""
    from pyhelm.action import upgrade

    check_server_side(server_side)
    options = upgrade.UpgradeOptions(
        name=name, chart=chart, install=install_missing, reuse_values=reuse_values,
        reset_values=reset_values, reset_then_reuse_values=reset_then_reuse_values,
        cleanup_on_fail=cleanup_on_fail,
        history_max=settings(ctx).max_history if history_max is None else history_max,
        namespace=settings(ctx).namespace, **shared(kwargs, ctx))
    release = upgrade.run(configuration(ctx), options)
    if output == "table":
        if release.version == 1:
            click.echo(f'Release "{name}" does not exist. Installing it now.')
        else:
            click.echo(f'Release "{name}" has been upgraded. Happy Helming!')
    print_release(release, output, hide_notes=hide_notes)
