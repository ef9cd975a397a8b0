"""``pyhelm lint [CHART...]``."""

from __future__ import annotations

import sys
from typing import Any

import click

from pyhelm.action import lint
from pyhelm.cli.common import value_options, values_options
from pyhelm.cli.globals import settings


@click.command("lint")
@click.argument("paths", nargs=-1)
@values_options
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--with-subcharts", is_flag=True, help="Lint the subcharts in charts/ too.")
@click.option("--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("--kube-version", default=None, help="Kubernetes version for capabilities.")
@click.option("--skip-schema-validation", is_flag=True,
              help="Do not validate values against values.schema.json.")
@click.pass_context
def lint_command(ctx: click.Context, /, paths: tuple[str, ...], strict: bool,
                 with_subcharts: bool, quiet: bool, kube_version: str | None,
                 skip_schema_validation: bool, **kwargs: Any) -> None:
    """Check charts for possible issues."""
    result = lint.run(lint.LintOptions(
        paths=paths or (".",), values=value_options(kwargs), strict=strict,
        with_subcharts=with_subcharts, namespace=settings(ctx).namespace or "default",
        kube_version=kube_version, skip_schema_validation=skip_schema_validation))
    noisy = 0  # charts with a warning or an error (Helm's --quiet shows only these)
    for chart in result.charts:
        shown = [m for m in chart.messages if not quiet or m.severity > lint.Severity.INFO]
        if any(m.severity > lint.Severity.INFO for m in chart.messages):
            noisy += 1
        elif quiet:
            continue
        click.echo(f"==> Linting {chart.path}")
        for message in shown:
            click.echo(str(message))
        click.echo()
    failed = len(result.failed)
    summary = f"{len(result.charts)} chart(s) linted, {failed} chart(s) failed"
    if failed:  # Helm returns the summary as its error
        click.echo(f"Error: {summary}", err=True)
        sys.exit(1)
    if not quiet or noisy:
        click.echo(summary)
