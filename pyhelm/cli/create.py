"""``pyhelm create NAME``."""

from __future__ import annotations

import click

from pyhelm.action import create
from pyhelm.cli.globals import settings


@click.command("create")
@click.argument("name")
@click.option("-p", "--starter", default=None,
              help="The name or absolute path of a starter chart to start from.")
@click.pass_context
def create_command(ctx: click.Context, /, name: str, starter: str | None) -> None:
    """Create a new chart with the given name."""
    path = create.run(create.CreateOptions(
        name=name, starter=starter, starters_dir=settings(ctx).data_home / "starters"))
    click.echo(f"Creating {path}")
