"""``pyhelm dependency list|build CHART``."""

from __future__ import annotations

import click

from pyhelm.action import dependency
from pyhelm.cli.globals import repo_paths


@click.group("dependency")
def dependency_command() -> None:
    """Manage a chart's dependencies."""


@dependency_command.command("list")
@click.argument("chart", default=".")
def list_command(chart: str) -> None:
    """List the dependencies of CHART and their state."""
    rows = dependency.list_dependencies(chart)
    click.echo(f"{'NAME':<20}\t{'VERSION':<10}\t{'REPOSITORY':<40}\tSTATUS")
    for row in rows:
        click.echo(f"{row.name:<20}\t{row.version:<10}\t{row.repository:<40}\t{row.status}")


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

    for entry in dependency_update.update(chart, repo_paths()):
        click.echo(f"Saving {entry['name']} {entry['version']} from {entry['repository']}")
    click.echo("Deleting outdated charts")
