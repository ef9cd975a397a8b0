"""``pyhelm dependency list|build CHART``."""

from __future__ import annotations

import os

import click

from pyhelm.action import dependency
from pyhelm.cli.globals import repo_paths
from pyhelm.cli.pflag import with_aliases


@click.group("dependency")
def dependency_command() -> None:
    """Manage a chart's dependencies."""


@dependency_command.command("list")
@click.argument("chart", default=".")
@click.option("--max-col-width", default=80, show_default=True, type=int,
              help="Maximum column width of the table.")
def list_command(chart: str, max_col_width: int) -> None:
    """List the dependencies of CHART and their state."""
    from pyhelm.cli.output import table

    rows = dependency.list_dependencies(chart)
    if not rows:  # Helm says so on stdout and succeeds
        click.echo(f"WARNING: no dependencies at {os.path.join(chart, 'charts')}")
        return
    # Helm's own table (uitable, columns cut at --max-col-width), then a blank line
    click.echo(table(("NAME", "VERSION", "REPOSITORY", "STATUS"),
                     [(r.name, r.version, r.repository, r.status) for r in rows],
                     max_width=max_col_width))
    click.echo()


@dependency_command.command("build")
@click.argument("chart", default=".")
def build_command(chart: str) -> None:
    """Rebuild charts/ from Chart.lock (without a lock, the same as update)."""
    from pyhelm.action import dependency_update

    for entry in dependency_update.build(chart, repo_paths()):
        click.echo(f"Saving {entry['name']} {entry['version']} from {entry['repository']}")


@dependency_command.command("update")
@click.argument("chart", default=".")
def update_command(chart: str) -> None:
    """Resolve dependencies against their repositories, download them, write Chart.lock."""
    from pyhelm.action import dependency_update

    saved = dependency_update.update(chart, repo_paths())
    for entry in saved:
        click.echo(f"Saving {entry['name']} {entry['version']} from {entry['repository']}")
    if saved:  # Helm prints nothing for a chart without dependencies
        click.echo("Deleting outdated charts")


with_aliases(dependency_command, {"ls": "list", "up": "update"})  # Helm's
