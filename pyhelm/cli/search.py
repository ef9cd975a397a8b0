"""``pyhelm search repo [KEYWORD]``."""

from __future__ import annotations

import click

from pyhelm.cli.common import dump, output_option
from pyhelm.cli.globals import repo_paths
from pyhelm.repo import client


@click.group("search")
def search_command() -> None:
    """Search for charts."""


@search_command.command("repo")
@click.argument("keyword", default="")
@click.option("--version", "constraint", default=None, help="Version constraint.")
@click.option("-l", "--versions", is_flag=True, help="Show every version, not the newest.")
@click.option("--devel", is_flag=True, help="Include prerelease versions.")
@output_option()
def repo_command(keyword: str, constraint: str | None, versions: bool, devel: bool,
                 output: str) -> None:
    """Search the repositories you added for charts."""
    hits = client.search(keyword, constraint=constraint, all_versions=versions, devel=devel,
                        paths=repo_paths())
    if output != "table":
        click.echo(dump([{"name": h.name, "version": h.version, "app_version": h.app_version,
                          "description": h.description} for h in hits], output))
        return
    if not hits:
        click.echo("No results found")
        return
    click.echo(f"{'NAME':<30}\t{'CHART VERSION':<13}\t{'APP VERSION':<11}\tDESCRIPTION")
    for hit in hits:
        click.echo(f"{hit.name:<30}\t{hit.version:<13}\t{hit.app_version:<11}\t"
                   f"{hit.description}")
