"""``pyhelm create NAME``."""

from __future__ import annotations

import click

from pyhelm.action import create


@click.command("create")
@click.argument("name")
def create_command(name: str) -> None:
    """Create a new chart with the given name."""
    path = create.run(create.CreateOptions(name=name))
    click.echo(f"Creating {path}")
