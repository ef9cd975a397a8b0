"""``pyhelm registry login|logout HOST``."""

from __future__ import annotations

import sys
from typing import Any

import click

from pyhelm.cli.common import registry_tls, registry_tls_options
from pyhelm.cli.globals import repo_paths
from pyhelm.errors import UsageError


@click.group("registry")
def registry_command() -> None:
    """Log in to or out of an OCI registry."""


@registry_command.command("login")
@click.argument("host")
@click.option("-u", "--username", required=True, help="Registry username.")
@click.option("-p", "--password", default=None, help="Registry password.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--plain-http", is_flag=True, default=None, help="Use HTTP, not HTTPS.")
@registry_tls_options("--insecure")
def login_command(host: str, username: str, password: str | None, password_stdin: bool,
                  plain_http: bool | None, **kwargs: Any) -> None:
    """Check credentials against HOST and store them."""
    from pyhelm.action.registry import login

    if password_stdin:
        password = sys.stdin.read().strip()
    if password is None:
        raise UsageError("give --password or --password-stdin")
    login(host, username, password, plain_http=plain_http, paths=repo_paths(),
          tls=registry_tls(kwargs))
    click.echo("Login Succeeded")


@registry_command.command("logout")
@click.argument("host")
def logout_command(host: str) -> None:
    """Forget the stored credentials of HOST."""
    from pyhelm.action.registry import logout

    if not logout(host, repo_paths()):
        raise UsageError(f"not logged in to {host}")
    click.echo(f"Removing login credentials for {host}")
