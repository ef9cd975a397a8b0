"""``pyhelm package CHART...``."""

from __future__ import annotations

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
@registry_access_options
def package_command(paths: tuple[str, ...], destination: str, version: str | None,
                    app_version: str | None, dependency_update: bool, **kwargs: Any) -> None:
    """Package chart directories into versioned chart archives."""
    registry = registry_access(kwargs)
    for path in paths:
        if dependency_update:
            from pyhelm.action import dependency_update as updating
            from pyhelm.cli.globals import repo_paths

            refresh_repositories(path)
            for entry in updating.update(path, repo_paths(), registry):
                click.echo(f"Saving {entry['name']} {entry['version']} from "
                           f"{entry['repository']}")
        written = package.run(package.PackageOptions(
            path=path, destination=destination, version=version, app_version=app_version))
        click.echo(f"Successfully packaged chart and saved it to: {written}")
