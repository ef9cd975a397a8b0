"""``package``: a chart directory to a deterministic ``NAME-VERSION.tgz`` (and, with
``--sign``, its ``.prov`` beside it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhelm.chart.package import write_package
from pyhelm.repo.provenance import PassphraseSource


@dataclass(frozen=True, kw_only=True)
class PackageOptions:
    path: str
    destination: str = "."
    version: str | None = None
    app_version: str | None = None
    sign: bool = False  # --sign: write NAME-VERSION.tgz.prov, signed by --key of --keyring
    key: str = ""
    keyring: str = ""  # default: Helm's (under $GNUPGHOME or ~/.gnupg)
    passphrase: PassphraseSource | None = None  # asked with the key's user ID


def run(options: PackageOptions) -> Path:
    written = write_package(options.path, options.destination, version=options.version,
                            app_version=options.app_version)
    if options.sign:  # as Helm: the archive is written first, then signed
        from pyhelm.repo import provenance

        keyring = Path(options.keyring) if options.keyring else provenance.default_keyring()
        provenance.sign_package(written, key=options.key, keyring=keyring,
                                passphrase=options.passphrase)
    return written
