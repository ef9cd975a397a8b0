"""``pyhelm package CHART...``."""

from __future__ import annotations

import click

from pyhelm.action import package


@click.command("package")
@click.argument("paths", nargs=-1, required=True)
@click.option("-d", "--destination", default=".", help="Where to write the archive.")
@click.option("--version", default=None, help="Set the chart version.")
@click.option("--app-version", default=None, help="Set the appVersion.")
def package_command(paths: tuple[str, ...], destination: str, version: str | None,
                    app_version: str | None) -> None:
    """Package chart directories into versioned chart archives."""
    for path in paths:
        written = package.run(package.PackageOptions(
            path=path, destination=destination, version=version, app_version=app_version))
        click.echo(f"Successfully packaged chart and saved it to: {written}")
