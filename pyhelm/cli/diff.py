"""``pyhelm diff upgrade RELEASE CHART``: a colored unified diff against live objects."""

from __future__ import annotations

from typing import Any

import click

from pyhelm.cli.common import values_options
from pyhelm.cli.globals import settings
from pyhelm.cli.install import value_options
from pyhelm.cli.output import configuration

COLORS = {"+": "green", "-": "red", "@": "cyan"}


@click.group("diff")
def diff_command() -> None:
    """Show what a release operation would change in the cluster."""


@diff_command.command("upgrade")
@click.argument("name")
@click.argument("chart")
@click.option("--version", default=None)
@click.option("--reuse-values", is_flag=True)
@click.option("--reset-values", is_flag=True)
@click.option("--no-color", is_flag=True, help="Plain text output.")
@values_options
@click.pass_context
def diff_upgrade(ctx: click.Context, /, name: str, chart: str, version: str | None,
                 reuse_values: bool, reset_values: bool, no_color: bool, **kwargs: Any) -> None:
    """Diff the live objects of NAME against an upgrade to CHART."""
    from pyhelm.action.diff import DiffOptions, run

    diffs = run(configuration(ctx), DiffOptions(
        name=name, chart=chart, version=version, values=value_options(kwargs),
        reuse_values=reuse_values, reset_values=reset_values,
        namespace=settings(ctx).namespace))
    if not diffs:
        click.echo("no changes")
        return
    # --color never|auto|always (Helm's global flag): auto colors a terminal only
    force = {"never": False, "always": True}.get(settings(ctx).color)
    if no_color:
        force = False
    for found in diffs:
        click.echo(f"{found.ref} ({found.change})")
        for line in found.diff.splitlines():
            color = COLORS.get(line[:1])
            click.echo(click.style(line, fg=color) if color else line, color=force)
