"""``pyhelm pull REPO/CHART|URL|oci://...``."""

from __future__ import annotations

from typing import Any

import click

from pyhelm.action import repo
from pyhelm.cli.common import chart_location, repository_access_options
from pyhelm.cli.globals import repo_paths


@click.command("pull")
@click.argument("ref")
@click.option("--version", default=None, help="Chart version or constraint.")
@click.option("-d", "--destination", default=".", help="Where to write the chart.")
@click.option("--untar", is_flag=True, help="Unpack the chart after downloading.")
@click.option("--untardir", default=None, help="Where to unpack (with --untar).")
@click.option("--prov", is_flag=True, help="Fetch the provenance file, but don't perform "
              "verification.")
@repository_access_options
def pull_command(ref: str, version: str | None, destination: str, untar: bool,
                 untardir: str | None, prov: bool, **kwargs: Any) -> None:
    """Download a chart from a repository (digest-verified)."""
    path, verification = repo.pull_verified(
        repo.PullOptions(ref=ref, version=version, destination=destination, untar=untar,
                         untar_dir=untardir, location=chart_location(kwargs), prov=prov),
        repo_paths())
    if verification is not None:
        click.echo(verification.report(), nl=False)
    click.echo(f"Pulled: {path}")
