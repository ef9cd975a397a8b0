"""``pyhelm test NAME``: run the release's test hooks."""

from __future__ import annotations

import click

from pyhelm.cli.globals import settings
from pyhelm.cli.output import configuration, seconds, timeout_option


@click.command("test")
@click.argument("name")
@timeout_option
@click.pass_context
def test_command(ctx: click.Context, name: str, timeout: str) -> None:
    """Run the tests of a release (its `test` hooks)."""
    from pyhelm.action.release_test import ReleaseTestOptions, run

    result = run(configuration(ctx), ReleaseTestOptions(
        name=name, namespace=settings(ctx).namespace,
        timeout=seconds(timeout)))
    click.echo(f"NAME: {name}\nREVISION: {result.release.version}")
    for hook_run in result.runs:
        click.echo(f"TEST SUITE:     {hook_run.name}\nLast Started:   {hook_run.started_at}\n"
                   f"Last Completed: {hook_run.completed_at}\nPhase:          {hook_run.phase}")
