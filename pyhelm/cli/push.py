"""``pyhelm push CHART.tgz oci://HOST/PATH``."""

from __future__ import annotations

from pathlib import Path

import click

from pyhelm.cli.globals import repo_paths


@click.command("push")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("remote")
@click.option("--plain-http", is_flag=True, default=None,
              help="Use HTTP, not HTTPS (the default for 127.0.0.1 and localhost).")
def push_command(package: Path, remote: str, plain_http: bool | None) -> None:
    """Push a packaged chart to an OCI registry."""
    from pyhelm.action.registry import push

    click.echo(f"Pushed: {push(package, remote, plain_http=plain_http, paths=repo_paths())}")
