"""``pyhelm plugin list`` (and the other plugin verbs as they come)."""

from __future__ import annotations

from pathlib import Path

import click

from pyhelm.cli.globals import settings
from pyhelm.cli.pflag import with_aliases


@click.group("plugin")
def plugin_command() -> None:
    """Install, list, or uninstall Helm plugins."""


def warn_skipped(plugin_yaml: Path, error: str) -> None:
    """Helm's warning for a plugin that does not load (it is left out, not fatal)."""
    from pyhelm.cli import helm_log

    helm_log.warn("failed to load plugin (ignoring)", plugin_yaml=plugin_yaml, error=error)


@plugin_command.command("list")
@click.option("--type", "kind", default="", help="Plugin type")
@click.pass_context
def list_command(ctx: click.Context, kind: str) -> None:
    """List installed Helm plugins."""
    from pyhelm.action.plugins import list_plugins
    from pyhelm.cli.output import table

    current = settings(ctx)
    rows = list_plugins(current.plugin_dirs, data_home=current.data_home, kind=kind,
                        on_skip=warn_skipped)
    click.echo(table(["NAME", "VERSION", "TYPE", "APIVERSION", "PROVENANCE", "SOURCE"],
                     [[p.name, p.version, p.type, p.api_version, p.provenance, p.source]
                      for p in rows]))


with_aliases(plugin_command, {"ls": "list"})  # Helm's
