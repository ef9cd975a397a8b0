"""``pyhelm verify CHART.tgz``: check the chart's ``.prov`` as ``helm verify`` does."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("verify")
@click.argument("path")
@click.option("--keyring", default="", help="Keyring containing public keys "
              "(default: ~/.gnupg/pubring.gpg).")
def verify_command(path: str, keyring: str) -> None:
    """Verify that a chart at the given path has been signed and is valid."""
    from pyhelm.repo.provenance import default_keyring, verify_package

    verification = verify_package(Path(path), Path(keyring) if keyring else default_keyring())
    click.echo(verification.report(), nl=False)
