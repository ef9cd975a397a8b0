"""``pyhelm dependency list|build CHART``."""

from __future__ import annotations

import os
from typing import Any

import click

from pyhelm.action import dependency
from pyhelm.cli.common import registry_tls, registry_tls_options
from pyhelm.cli.globals import repo_paths
from pyhelm.cli.pflag import with_aliases


@click.group("dependency")
def dependency_command() -> None:
    """Manage a chart's dependencies."""


@dependency_command.command("list")
@click.argument("chart", default=".")
@click.option("--max-col-width", default=80, show_default=True, type=int,
              help="Maximum column width of the table.")
def list_command(chart: str, max_col_width: int) -> None:
    """List the dependencies of CHART and their state."""
    from pyhelm.cli.output import table

    rows = dependency.list_dependencies(chart)
    if not rows:  # Helm says so on stdout and succeeds
        click.echo(f"WARNING: no dependencies at {os.path.join(chart, 'charts')}")
        return
    # Helm's own table (uitable, columns cut at --max-col-width), then a blank line
    click.echo(table(("NAME", "VERSION", "REPOSITORY", "STATUS"),
                     [(r.name, r.version, r.repository, r.status) for r in rows],
                     max_width=max_col_width))
    click.echo()


def registry_access_options(func: Any) -> Any:
    """How to reach oci:// dependencies' registries (Helm's registry client flags of
    dependency build/update and package)."""
    func = click.option("--plain-http", is_flag=True, default=None,
                        help="Reach oci:// dependencies over HTTP, not HTTPS.")(func)
    func = click.option("--username", default="", help="Registry username.")(func)
    func = click.option("--password", default="", help="Registry password.")(func)
    return registry_tls_options("--insecure-skip-tls-verify")(func)


def registry_access(kwargs: dict[str, Any]) -> Any:
    """The ``registry_access_options`` flags (popped from kwargs) as RegistryAccess."""
    from pyhelm.repo.oci import RegistryAccess

    username, password = kwargs.pop("username"), kwargs.pop("password")
    return RegistryAccess(plain_http=kwargs.pop("plain_http"), tls=registry_tls(kwargs),
                          credentials=(username, password) if username or password else None)


def _fetching_options(func: Any) -> Any:
    func = click.option("--skip-refresh", is_flag=True,
                        help="Do not refresh the local repository cache.")(func)
    func = click.option("--verify", is_flag=True,
                        help="Verify the packages against signatures.")(func)
    func = click.option("--keyring", default="", help="Keyring containing public keys "
                        "(default: ~/.gnupg/pubring.gpg).")(func)
    return registry_access_options(func)


def _prepare(chart: str, kwargs: dict[str, Any]) -> Any:
    import dataclasses
    from pathlib import Path

    verify, keyring = kwargs.pop("verify"), kwargs.pop("keyring")
    if not kwargs.pop("skip_refresh"):
        refresh_repositories(chart)
    access = registry_access(kwargs)
    if verify:
        from pyhelm.repo.provenance import default_keyring

        access = dataclasses.replace(
            access, verify_keyring=Path(keyring) if keyring else default_keyring())
    return access


def refresh_repositories(chart: str) -> None:
    """For a chart that declares dependencies, refresh the added repositories' indexes
    first, printing Helm's lines."""
    from pyhelm.action import repo
    from pyhelm.cli.repo import print_repository_updates

    if dependency.list_dependencies(chart) and repo.list_repositories(repo_paths()):
        print_repository_updates()  # Helm goes on past a repository that failed
        click.echo("Update Complete. ⎈Happy Helming!⎈")


@dependency_command.command("build")
@click.argument("chart", default=".")
@_fetching_options
def build_command(chart: str, **kwargs: Any) -> None:
    """Rebuild charts/ from Chart.lock (without a lock, the same as update)."""
    from pyhelm.action import dependency_update

    for entry in dependency_update.build(chart, repo_paths(), _prepare(chart, kwargs)):
        click.echo(f"Saving {entry['name']} {entry['version']} from {entry['repository']}")


@dependency_command.command("update")
@click.argument("chart", default=".")
@_fetching_options
def update_command(chart: str, **kwargs: Any) -> None:
    """Resolve dependencies against their repositories, download them, write Chart.lock."""
    from pyhelm.action import dependency_update

    saved = dependency_update.update(chart, repo_paths(), _prepare(chart, kwargs))
    for entry in saved:
        click.echo(f"Saving {entry['name']} {entry['version']} from {entry['repository']}")
    if saved:  # Helm prints nothing for a chart without dependencies
        click.echo("Deleting outdated charts")


with_aliases(dependency_command, {"ls": "list", "up": "update"})  # Helm's
