"""``pyhelm package CHART...``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from pyhelm.action import package
from pyhelm.cli.dependency import (
    refresh_repositories,
    registry_access,
    registry_access_options,
)


@click.command("package")
@click.argument("paths", nargs=-1, required=True)
@click.option("-d", "--destination", default=".", help="Where to write the archive.")
@click.option("--version", default=None, help="Set the chart version.")
@click.option("--app-version", default=None, help="Set the appVersion.")
@click.option("-u", "--dependency-update", is_flag=True,
              help="Update dependencies from Chart.yaml to charts/ before packaging.")
@click.option("--sign", is_flag=True, help="Use a PGP private key to sign this package.")
@click.option("--key", default="", help="Name of the key to use when signing.")
@click.option("--keyring", default="", help="Location of a public keyring "
              "(default: ~/.gnupg/pubring.gpg).")
@click.option("--passphrase-file", default="", help="Location of a file which contains the "
              'passphrase for the signing key. Use "-" in order to read from stdin.')
@registry_access_options
def package_command(paths: tuple[str, ...], destination: str, version: str | None,
                    app_version: str | None, dependency_update: bool, sign: bool, key: str,
                    keyring: str, passphrase_file: str, **kwargs: Any) -> None:
    """Package chart directories into versioned chart archives."""
    from pyhelm.errors import UsageError

    if sign and not key:
        raise UsageError("--key is required for signing a package")
    registry = registry_access(kwargs)
    passphrase = passphrase_source(passphrase_file) if sign else None
    for path in paths:
        if dependency_update:
            from pyhelm.action import dependency_update as updating
            from pyhelm.cli.globals import repo_paths

            refresh_repositories(path)
            for entry in updating.update(path, repo_paths(), registry):
                click.echo(f"Saving {entry['name']} {entry['version']} from "
                           f"{entry['repository']}")
        written = package.run(package.PackageOptions(
            path=path, destination=destination, version=version, app_version=app_version,
            sign=sign, key=key, keyring=keyring, passphrase=passphrase))
        click.echo(f"Successfully packaged chart and saved it to: {written}")


def passphrase_source(passphrase_file: str) -> Callable[[str], str]:
    """Helm's passphrase rules: the first line of --passphrase-file (``-``: of stdin, read
    once for all the charts), else a prompt on the terminal."""
    import sys

    from pyhelm.errors import ProvenanceError

    cached: list[str] = []

    def from_file(_name: str) -> str:
        if not cached:
            if passphrase_file == "-":
                if sys.stdin.isatty():
                    raise ProvenanceError("specified reading passphrase from stdin, without "
                                          "input on stdin")
                cached.append(sys.stdin.readline().rstrip("\r\n"))
            else:
                try:
                    with open(passphrase_file, encoding="utf-8") as handle:
                        cached.append(handle.readline().rstrip("\r\n"))
                except FileNotFoundError:
                    raise ProvenanceError(f"open {passphrase_file}: no such file or "
                                          f"directory") from None
        return cached[0]

    def prompt(name: str) -> str:
        import getpass

        if not sys.stdin.isatty():
            raise ProvenanceError("inappropriate ioctl for device")
        return getpass.getpass(f'Password for key "{name}" >  ')

    return from_file if passphrase_file else prompt
