"""``pyhelm version``."""

from __future__ import annotations

import click

from pyhelm.action import version
from pyhelm.cli.common import dump


@click.command("version")
@click.option("--short", is_flag=True, help="Print only the version number.")
@click.option("-o", "--output", type=click.Choice(["text", "json", "yaml"]), default="text")
def version_command(short: bool, output: str) -> None:
    """Print the pyhelm version."""
    info = version.run()
    if short:
        click.echo(f"v{info.version}")
    elif output == "text":
        click.echo(f'version.BuildInfo{{Version:"v{info.version}", '
                   f'PythonVersion:"{info.python_version}"}}')
    else:
        click.echo(dump(info.as_dict(), output))
