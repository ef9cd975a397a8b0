"""``pyhelm search repo [KEYWORD]``."""

from __future__ import annotations

import click

from pyhelm.action import repo
from pyhelm.cli.common import dump, output_option
from pyhelm.cli.globals import repo_paths


@click.group("search")
def search_command() -> None:
    """Search for charts."""


@search_command.command("repo")
@click.argument("keyword", default="")
@click.option("--version", "constraint", default=None, help="Version constraint.")
@click.option("-l", "--versions", is_flag=True, help="Show every version, not the newest.")
@click.option("--devel", is_flag=True, help="Include prerelease versions.")
@click.option("--max-col-width", default=50, show_default=True, type=int,
              help="Maximum column width of the table.")
@click.option("-r", "--regexp", is_flag=True,
              help="Use a regular expression for searching the repositories.")
@click.option("--fail-on-no-result", is_flag=True, help="Fail when nothing is found.")
@output_option()
def repo_command(keyword: str, constraint: str | None, versions: bool, devel: bool,
                 max_col_width: int, regexp: bool, fail_on_no_result: bool,
                 output: str) -> None:
    """Search the repositories you added for charts."""
    hits = repo.search(keyword, constraint=constraint, all_versions=versions, devel=devel,
                       regexp=regexp, paths=repo_paths())
    if not hits and fail_on_no_result:
        raise click.ClickException("no results found")
    if output != "table":
        click.echo(dump([{"name": h.name, "version": h.version, "app_version": h.app_version,
                          "description": h.description} for h in hits], output))
        return
    if not hits:
        click.echo("No results found")
        return
    from pyhelm.cli.output import table

    click.echo(table(["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"],
                     [[h.name, h.version, h.app_version, h.description] for h in hits],
                     max_width=max_col_width))
