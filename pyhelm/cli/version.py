"""``pyhelm version``."""

from __future__ import annotations

import click

from pyhelm.action import version
from pyhelm.cli.common import dump


@click.command("version")
@click.option("--short", is_flag=True, help="Print only the version number.")
@click.option("--template", "template", default="",
              help="Template for version string format (Go template, as Helm's).")
@click.option("-o", "--output", type=click.Choice(["text", "json", "yaml"]), default="text")
def version_command(short: bool, template: str, output: str) -> None:
    """Print the version of Helm this pyhelm stands in for, and pyhelm's own."""
    info = version.run()
    if template:
        from pyhelm.cli.go_template_output import print_go_template

        print_go_template(template, "version", info.as_dict())
    elif short:
        click.echo(info.helm_version)
    elif output == "text":
        fields = ", ".join(f'{_go_name(key)}:"{value}"' for key, value in info.as_dict().items())
        click.echo(f"version.BuildInfo{{{fields}}}")
    else:
        click.echo(dump(info.as_dict(), output))


def _go_name(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))
