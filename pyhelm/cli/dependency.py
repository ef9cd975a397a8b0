"""``pyhelm dependency list|build CHART``."""

from __future__ import annotations

import click

from pyhelm.action import dependency


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
    """Build charts/ from the local (file://) dependencies of CHART."""
    for path in dependency.build_dependencies(chart):
        click.echo(f"Saving {path}")
