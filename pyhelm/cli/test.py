"""``pyhelm test NAME``: run the release's test hooks."""

from __future__ import annotations

import click

from pyhelm.cli.globals import settings
from pyhelm.cli.output import configuration, seconds, timeout_option


@click.command("test")
@click.argument("name")
@timeout_option
@click.option("--logs", is_flag=True, help="Dump the logs from test pods (this runs after "
              "all tests are complete, but before any cleanup).")
@click.option("--filter", "filters", multiple=True,
              help="Tests by attribute: name=NAME, or !name=NAME to exclude (repeatable; "
              "comma-separated values).")
@click.pass_context
def test_command(ctx: click.Context, name: str, timeout: str, logs: bool,
                 filters: tuple[str, ...]) -> None:
    """Run the tests of a release (its `test` hooks)."""
    from pyhelm.action.release_test import ReleaseTestOptions, TestFilter, pod_logs, run
    from pyhelm.cli.pflag import string_slice
    from pyhelm.cli.release_output import status_text

    cfg = configuration(ctx)
    chosen = TestFilter.parse(string_slice(filters))
    result = run(cfg, ReleaseTestOptions(name=name, namespace=settings(ctx).namespace,
                                         timeout=seconds(timeout), defer_cleanup=logs,
                                         filter=chosen))
    try:
        click.echo(status_text(result.release, show_notes=False), nl=False)
        if logs:
            click.echo()
            for pod, container, text in pod_logs(cfg, result.release, chosen):
                click.echo(f"POD LOGS: {pod} ({container})\n{text}")
    finally:
        result.cleanup()
