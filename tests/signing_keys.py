"""OpenPGP keys made by GnuPG (Debian's ``gnupg``) for the provenance tests, as a Helm
user makes them: ``gpg --quick-gen-key``, then the legacy keyrings Helm reads
(``gpg --export > pubring.gpg``, ``gpg --export-secret-keys > secring.gpg``).

The trusted public keyring holds every key but ``other`` (a key the verifier does not
know). ``revoked`` is revoked after the secret keyring is exported, ``expired`` was made
in 2020 and expired a day later, and ``soon`` expires ``SOON_SECONDS`` after it was made
(charts are signed with it at once; it has expired by the time they are verified).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SOON_SECONDS = 25
USER_IDS = {
    "ed": "Chart Signer <charts@example.com>",
    "rsa": "RSA Signer <rsa@example.com>",
    "pass": "Passphrase Signer <pass@example.com>",
    "other": "Other Signer <other@example.com>",
    "revoked": "Revoked Signer <revoked@example.com>",
    "expired": "Expired Signer <expired@example.com>",
    "soon": "Soon Signer <soon@example.com>",
}
PASSPHRASE = "correct horse"


@dataclass(frozen=True)
class Keys:
    home: Path  # GNUPGHOME
    secring: Path  # every secret key (before the revocation)
    pubring: Path  # trusted public keys (no "other"; "revoked" revoked)
    passphrase_file: Path
    soon_expires: float  # time.time() after which "soon" has expired

    def wait_for_soon_to_expire(self) -> None:
        delay = self.soon_expires + 1 - time.time()
        if delay > 0:
            time.sleep(delay)


def _gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.fail("gpg is missing: `make system-deps` installs Debian's gnupg",
                    pytrace=False)
    result = subprocess.run([gpg, "--homedir", str(home), "--batch", "--yes", *args],
                            input=stdin, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_keys(directory: Path) -> Keys:
    home = directory / "gnupg"
    home.mkdir(mode=0o700, parents=True)
    plain = ("--passphrase", "", "--pinentry-mode", "loopback")
    _gpg(home, *plain, "--quick-gen-key", USER_IDS["ed"], "ed25519", "sign", "2y")
    _gpg(home, *plain, "--quick-gen-key", USER_IDS["rsa"], "rsa3072", "sign", "2y")
    _gpg(home, "--passphrase", PASSPHRASE, "--pinentry-mode", "loopback",
         "--quick-gen-key", USER_IDS["pass"], "ed25519", "sign", "2y")
    _gpg(home, *plain, "--quick-gen-key", USER_IDS["other"], "ed25519", "sign", "2y")
    _gpg(home, *plain, "--quick-gen-key", USER_IDS["revoked"], "ed25519", "sign", "2y")
    _gpg(home, *plain, "--faked-system-time", "20200101T000000", "--quick-gen-key",
         USER_IDS["expired"], "ed25519", "sign", "1d")
    soon_expires = time.time() + SOON_SECONDS
    _gpg(home, *plain, "--quick-gen-key", USER_IDS["soon"], "ed25519", "sign",
         f"seconds={SOON_SECONDS}")
    secring = directory / "secring.gpg"
    with secring.open("wb") as out:
        subprocess.run([shutil.which("gpg") or "gpg", "--homedir", str(home), "--batch",
                        "--pinentry-mode", "loopback", "--passphrase", PASSPHRASE,
                        "--export-secret-keys"], stdout=out, check=True,
                       stderr=subprocess.DEVNULL)
    fingerprint = next(
        line.split(":")[9] for line in _gpg(home, "--with-colons", "--list-keys",
                                            "revoked@example.com").splitlines()
        if line.startswith("fpr:"))
    certificate = (home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
    _gpg(home, "--import", stdin=certificate.replace(":-----BEGIN", "-----BEGIN"))
    other = next(
        line.split(":")[9] for line in _gpg(home, "--with-colons", "--list-keys",
                                            "other@example.com").splitlines()
        if line.startswith("fpr:"))
    trusted = [uid.split("<")[1].rstrip(">") for name, uid in USER_IDS.items()
               if name != "other"]
    pubring = directory / "pubring.gpg"
    with pubring.open("wb") as out:
        subprocess.run([shutil.which("gpg") or "gpg", "--homedir", str(home), "--batch",
                        "--export", *trusted], stdout=out, check=True,
                       stderr=subprocess.DEVNULL)
    assert other  # exported nowhere but in secring.gpg
    gpgconf = shutil.which("gpgconf")
    if gpgconf:  # the gpg-agent that key generation started ends with the fixture's keys
        subprocess.run([gpgconf, "--homedir", str(home), "--kill", "gpg-agent"],
                       capture_output=True, check=False)
    passphrase_file = directory / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    os.chmod(passphrase_file, 0o600)
    return Keys(home, secring, pubring, passphrase_file, soon_expires)
