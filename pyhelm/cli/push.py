"""``pyhelm push CHART.tgz oci://HOST/PATH``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pyhelm.cli.common import registry_tls, registry_tls_options
from pyhelm.cli.globals import repo_paths


@click.command("push")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("remote")
@click.option("--plain-http", is_flag=True, default=None,
              help="Use HTTP, not HTTPS (the default for 127.0.0.1 and localhost).")
@click.option("--username", default="", help="Registry username (instead of a login).")
@click.option("--password", default="", help="Registry password (instead of a login).")
@registry_tls_options("--insecure-skip-tls-verify")
def push_command(package: Path, remote: str, plain_http: bool | None, username: str,
                 password: str, **kwargs: Any) -> None:
    """Push a packaged chart to an OCI registry."""
    from pyhelm.action.registry import push

    pushed = push(package, remote, plain_http=plain_http, paths=repo_paths(),
                  tls=registry_tls(kwargs),
                  credentials=(username, password) if username or password else None)
    click.echo(f"Pushed: {pushed}")
