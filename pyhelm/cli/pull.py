"""``pyhelm pull REPO/CHART|URL|oci://...``."""

from __future__ import annotations

import click

from pyhelm.action import repo
from pyhelm.cli.globals import repo_paths


@click.command("pull")
@click.argument("ref")
@click.option("--version", default=None, help="Chart version or constraint.")
@click.option("-d", "--destination", default=".", help="Where to write the chart.")
@click.option("--untar", is_flag=True, help="Unpack the chart after downloading.")
@click.option("--untardir", default=None, help="Where to unpack (with --untar).")
@click.option("--repo", "repo_url", default=None, help="Repository URL to pull from.")
def pull_command(ref: str, version: str | None, destination: str, untar: bool,
                 untardir: str | None, repo_url: str | None) -> None:
    """Download a chart from a repository (digest-verified)."""
    path = repo.pull(repo.PullOptions(ref=ref, version=version, destination=destination,
                                      untar=untar, untar_dir=untardir, repo_url=repo_url),
                     repo_paths())
    click.echo(f"Pulled: {path}")
