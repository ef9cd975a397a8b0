"""The typed library's provenance functions (issue 25): ``sign_chart``, ``verify_chart``,
``package_chart(sign=True)`` and ``pull_chart(verify=True)``, with GnuPG-made keys and
Helm 4.3.1 verifying what the library signs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import pyhelm
from pyhelm.testing import peers
from tests.signing_keys import PASSPHRASE, USER_IDS, Keys, make_keys

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("library-keys"))


def test_sign_then_verify_and_helm_agrees(keys: Keys, tmp_path: Path) -> None:
    package = pyhelm.package_chart(str(ROOT / "charts/demo"), destination=str(tmp_path),
                                   sign=True, key=USER_IDS["pass"], keyring=keys.secring,
                                   passphrase=PASSPHRASE)
    assert Path(f"{package}.prov").is_file()
    verification = pyhelm.verify_chart(package, keyring=keys.pubring)
    assert isinstance(verification, pyhelm.Verification)
    assert verification.signed_by == (USER_IDS["pass"],)
    assert verification.file_name == "demo-0.1.0.tgz"
    helm = subprocess.run([str(peers.helm_binary()), "verify", str(package), "--keyring",
                           str(keys.pubring)], capture_output=True, text=True,
                          env=peers.helm_env(tmp_path), check=False)
    assert (helm.returncode, helm.stdout) == (0, verification.report())


def test_sign_chart_and_refusals(keys: Keys, tmp_path: Path) -> None:
    package = pyhelm.package_chart(str(ROOT / "charts/demo"), destination=str(tmp_path))
    prov = pyhelm.sign_chart(package, key="charts@example.com", keyring=keys.secring)
    assert prov == Path(f"{package}.prov")
    moved = tmp_path / "elsewhere.prov"
    shutil.copy(prov, moved)
    with pytest.raises(pyhelm.ProvenanceError, match="signature made by unknown entity"):
        pyhelm.sign_chart(package, key=USER_IDS["other"], keyring=keys.secring)
        pyhelm.verify_chart(package, keyring=keys.pubring)
    with pytest.raises(pyhelm.ProvenanceError, match="private key not found"):
        pyhelm.sign_chart(package, key="nobody", keyring=keys.secring)
    pyhelm.sign_chart(package, key=USER_IDS["ed"], keyring=keys.secring)
    assert pyhelm.verify_chart(package, keyring=keys.pubring,
                               provenance_file=moved).signed_by == (USER_IDS["ed"],)
    package.write_bytes(package.read_bytes() + b"\0")
    with pytest.raises(pyhelm.RepoError, match="sha256 sum does not match"):
        pyhelm.verify_chart(package, keyring=keys.pubring)
