"""``pyhelm show chart|values|readme|crds|all CHART``."""

from __future__ import annotations

from typing import Any

import click

from pyhelm.action import show
from pyhelm.cli.common import chart_location, repository_access_options
from pyhelm.cli.globals import repo_paths


def _subcommand(part: show.Part, summary: str) -> click.Command:
    @click.command(part, help=summary)
    @click.argument("chart")
    @click.option("--version", default=None, help="Chart version to use.")
    @repository_access_options
    def command(chart: str, version: str | None, **kwargs: Any) -> None:
        click.echo(show.run(show.ShowOptions(chart=chart, part=part, version=version,
                                             location=chart_location(kwargs),
                                             jsonpath=kwargs.pop("jsonpath", "")),
                            repo_paths()),
                   nl=False)

    return command


@click.group("show")
def show_command() -> None:
    """Show information about a chart."""


def _with_jsonpath(command: click.Command) -> click.Command:
    return click.option("--jsonpath", default="",
                        help="A JSONPath expression to filter the output.")(command)


for _part, _summary in (("chart", "Show the chart's Chart.yaml."),
                        ("values", "Show the chart's values.yaml."),
                        ("readme", "Show the chart's README."),
                        ("crds", "Show the chart's CRDs."),
                        ("all", "Show everything about the chart.")):
    _command = _subcommand(_part, _summary)  # type: ignore[arg-type]
    show_command.add_command(_with_jsonpath(_command) if _part == "values" else _command)
