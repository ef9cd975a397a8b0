"""``pyhelm unlock NAME``: fail a pending revision whose holder is known to be dead."""

from __future__ import annotations

import click

from pyhelm.cli.output import configuration


@click.command("unlock")
@click.argument("name")
@click.pass_context
def unlock_command(ctx: click.Context, name: str) -> None:
    """Release NAME's lock: mark its pending revision failed, whoever holds it.

    Only for a holder known to be dead whose lease has not run out yet; a live holder
    finds out at its next write and stops. The action is recorded in the revision's
    description and printed on stderr."""
    from pyhelm.action import unlock

    message = unlock.run(configuration(ctx), unlock.UnlockOptions(
        name=name, namespace=ctx.find_root().obj.get("namespace")))
    click.echo(message, err=True)
