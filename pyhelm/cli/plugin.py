"""``pyhelm plugin install|list|uninstall|update|package|verify``, as Helm 4.3's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _warn(message: str, **attributes: Any) -> None:
    from pyhelm.cli import helm_log

    helm_log.warn(message, **attributes)


def _say(line: str) -> None:
    click.echo(line)


def _exact_args(ctx: click.Context, args: tuple[str, ...], count: int, usage: str) -> None:
    """cobra's ExactArgs, with its message."""
    if len(args) != count:
        path = ctx.command_path
        raise click.ClickException(
            f'"{path}" requires {count} argument{"s" if count != 1 else ""}\n\n'
            f"Usage:  {path} {usage} [flags]")


def _locations(ctx: click.Context) -> Any:
    from pyhelm.plugin.installer import Locations

    current = settings(ctx)
    return Locations(data_home=current.data_home, cache_home=current.cache_home,
                     plugins_variable=current.plugins or str(current.data_home / "plugins"))


@plugin_command.command("list")
@click.option("--type", "kind", default="", help="Plugin type")
@click.pass_context
def list_command(ctx: click.Context, kind: str) -> None:
    """List installed Helm plugins."""
    from pyhelm.action.plugins import BUILT_IN, list_plugins
    from pyhelm.cli.output import table

    current = settings(ctx)
    rows = list_plugins(current.plugin_dirs, data_home=current.data_home, kind=kind,
                        on_skip=warn_skipped, built_in=BUILT_IN)
    click.echo(table(["NAME", "VERSION", "TYPE", "APIVERSION", "PROVENANCE", "SOURCE"],
                     [[p.name, p.version, p.type, p.api_version, p.provenance, p.source]
                      for p in rows]))


@plugin_command.command("install")
@click.argument("source", nargs=-1)
@click.option("--version", default="", help="specify a version constraint. If this is not "
              "specified, the latest version is installed")
@click.option("--verify/--no-verify", default=True,
              help="verify the plugin signature before installing")
@click.option("--keyring", default="", help="location of public keys used for verification "
              "(default: ~/.gnupg/pubring.gpg)")
@click.pass_context
def install_command(ctx: click.Context, source: tuple[str, ...], version: str,
                    verify: bool, keyring: str) -> None:
    """Install a Helm plugin from a local directory, a tarball (path or http(s) URL) or
    a git repository."""
    from pyhelm.action.plugins import InstallOptions, install_plugin

    _exact_args(ctx, source, 1, "[options] <path|url>")
    install_plugin(InstallOptions(source=source[0], version=version, verify=verify,
                                  keyring=keyring),
                   _locations(ctx), say=_say, warn=_warn)


@plugin_command.command("uninstall")
@click.argument("names", nargs=-1)
@click.pass_context
def uninstall_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Uninstall one or more Helm plugins."""
    from pyhelm.action.plugins import uninstall_plugins

    uninstall_plugins(names, _locations(ctx), say=_say, on_skip=warn_skipped)


@plugin_command.command("update")
@click.argument("names", nargs=-1)
@click.pass_context
def update_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Update one or more Helm plugins."""
    from pyhelm.action.plugins import update_plugins

    update_plugins(names, _locations(ctx), say=_say, warn=_warn, on_skip=warn_skipped)


@plugin_command.command("package")
@click.argument("path", nargs=-1)
@click.option("-d", "--destination", default=".",
              help="location to write the plugin tarball.")
@click.option("--sign/--no-sign", default=True,
              help="use a PGP private key to sign this plugin")
@click.option("--key", default="", help="name of the key to use when signing. Used if "
              "--sign is true")
@click.option("--keyring", default="", help="location of a public keyring "
              "(default: ~/.gnupg/pubring.gpg)")
@click.option("--passphrase-file", default="", help="location of a file which contains the "
              'passphrase for the signing key. Use "-" to read from stdin.')
@click.pass_context
def package_command(ctx: click.Context, path: tuple[str, ...], destination: str,
                    sign: bool, key: str, keyring: str, passphrase_file: str) -> None:
    """Package a plugin directory into a plugin archive."""
    from pyhelm.action.plugins import PackageOptions, package_plugin
    from pyhelm.cli.package import passphrase_source

    _exact_args(ctx, path, 1, "[PATH]")
    package_plugin(PackageOptions(path=path[0], destination=destination, sign=sign, key=key,
                                  keyring=keyring,
                                  passphrase=passphrase_source(passphrase_file)),
                   say=_say)


@plugin_command.command("verify")
@click.argument("path", nargs=-1)
@click.option("--keyring", default="", help="keyring containing public keys "
              "(default: ~/.gnupg/pubring.gpg)")
@click.pass_context
def verify_command(ctx: click.Context, path: tuple[str, ...], keyring: str) -> None:
    """Verify that a plugin at the given path has been signed and is valid."""
    from pyhelm.action.plugins import verify_plugin

    _exact_args(ctx, path, 1, "[PATH]")
    verification = verify_plugin(path[0], keyring)
    for name in verification.signed_by:
        click.echo(f"Signed by: {name}")
    click.echo(f"Using Key With Fingerprint: {verification.fingerprint}")
    click.echo(f"Plugin Hash Verified: {verification.file_hash}")


with_aliases(plugin_command, {"add": "install", "ls": "list", "remove": "uninstall",
                              "rm": "uninstall", "up": "update"})  # Helm's
