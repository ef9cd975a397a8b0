"""``repo serve --require-signature`` (issue 25): an upload is stored only with a ``.prov``
that verifies against the server's keyring, otherwise 400 with the reason and nothing
stored; ``/provenance.yaml`` beside ``index.yaml`` says which versions are signed and who
signed them. Charts are signed by Helm 4.3.1 and by pyhelm with GnuPG-made keys, and Helm
pulls what the server accepted with ``--verify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pyhelm.repo.server import ServerSettings
from pyhelm.testing import peers
from tests.cli.test_provenance import DEMO, _tampered_archive, run, sign
from tests.repo.server_client import AUTH, request
from tests.repo.test_server import multipart
from tests.signing_keys import USER_IDS, Keys, make_keys

pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("server-keys"))


@pytest.fixture
def env(tmp_path: Path, keys: Keys) -> dict[str, str]:
    return peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0", GNUPGHOME=str(keys.home),
                          XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
                          XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))


def _upload(url: str, package: Path, prov: bytes | None) -> tuple[int, bytes]:
    fields = {"chart": (package.name, package.read_bytes())}
    if prov is not None:
        fields["prov"] = (package.name + ".prov", prov)
    body, content_type = multipart(fields)
    return request(f"{url}/api/charts", body, "POST", {**AUTH, "Content-Type": content_type})


def test_uploads_must_verify(tmp_path: Path, keys: Keys, env: dict[str, str],
                             serve_repository: Callable[[ServerSettings], str]) -> None:
    url = serve_repository(ServerSettings(
        directory=tmp_path / "store", port=0, enable_upload=True, username="admin",
        password="secret", verify_keyring=str(keys.pubring)))
    (tmp_path / "store").mkdir(exist_ok=True)
    helm_signed = sign("helm", "ed", tmp_path / "helm", keys, env)
    unknown = sign("helm", "other", tmp_path / "other", keys, env)
    tampered = _tampered_archive(helm_signed, tmp_path / "tampered")
    refusals = {
        "unsigned": (helm_signed, None, "accepts only signed charts"),
        "unknown key": (unknown, Path(f"{unknown}.prov").read_bytes(),
                        "openpgp: signature made by unknown entity"),
        "tampered": (tampered, Path(f"{tampered}.prov").read_bytes(),
                     "sha256 sum does not match for demo-0.1.0.tgz"),
    }
    for case, (package, prov, reason) in refusals.items():
        status, body = _upload(url, package, prov)
        assert status == 400, (case, body)
        assert reason in json.loads(body)["error"], (case, body)
    assert request(f"{url}/demo-0.1.0.tgz")[0] == 404  # nothing stored
    status, body = _upload(url, helm_signed, Path(f"{helm_signed}.prov").read_bytes())
    assert status == 201, body
    renamed = tmp_path / "v2" / "demo-0.2.0.tgz"  # pyhelm's archive, as 0.2.0
    renamed.parent.mkdir()
    assert run("pyhelm", "package", DEMO, "--version", "0.2.0", "-d",
               renamed.parent, "--sign", "--key", USER_IDS["rsa"], "--keyring",
               keys.secring, env=env).returncode == 0
    status, body = _upload(url, renamed, Path(f"{renamed}.prov").read_bytes())
    assert status == 201, body
    listing = yaml.safe_load(request(f"{url}/provenance.yaml")[1])
    assert listing["requireSignature"] is True
    by_version = {e["version"]: e for e in listing["entries"]["demo"]}
    assert by_version["0.1.0"]["signed"] and by_version["0.1.0"]["verified"]
    assert by_version["0.1.0"]["signedBy"] == [USER_IDS["ed"]]
    assert by_version["0.2.0"]["signedBy"] == [USER_IDS["rsa"]]
    for tool in ("helm", "pyhelm"):  # what the server took verifies for both clients
        dest = tmp_path / f"pulled-{tool}"
        dest.mkdir()
        pulled = run(tool, "pull", "demo", "--repo", url, "--version", "0.1.0", "--verify",
                     "--keyring", keys.pubring, "-d", dest, env=env)
        assert pulled.returncode == 0, pulled.stderr
        assert f"Signed by: {USER_IDS['ed']}" in pulled.stdout


def test_a_prov_posted_alone_must_verify(tmp_path: Path, keys: Keys, env: dict[str, str],
                                         serve_repository: Callable[[ServerSettings], str]
                                         ) -> None:
    (tmp_path / "store").mkdir()
    url = serve_repository(ServerSettings(
        directory=tmp_path / "store", port=0, enable_upload=True, username="admin",
        password="secret", verify_keyring=str(keys.pubring)))
    package = sign("helm", "ed", tmp_path / "signed", keys, env)
    status, body = request(f"{url}/api/prov", Path(f"{package}.prov").read_bytes(), "POST",
                           AUTH)
    assert status == 400 and b"no such package" in body, body


def test_without_a_keyring_provenance_yaml_lists_what_is_signed(
        tmp_path: Path, keys: Keys, env: dict[str, str],
        serve_repository: Callable[[ServerSettings], str]) -> None:
    (tmp_path / "store").mkdir()
    url = serve_repository(ServerSettings(directory=tmp_path / "store", port=0,
                                          enable_upload=True, username="admin",
                                          password="secret"))
    signed = sign("helm", "ed", tmp_path / "signed", keys, env)
    assert _upload(url, signed, Path(f"{signed}.prov").read_bytes())[0] == 201
    unsigned = tmp_path / "unsigned" / "demo-0.2.0.tgz"
    unsigned.parent.mkdir()
    assert run("pyhelm", "package", DEMO, "--version", "0.2.0", "-d",
               unsigned.parent, env=env).returncode == 0
    assert _upload(url, unsigned, None)[0] == 201
    listing = yaml.safe_load(request(f"{url}/provenance.yaml")[1])
    assert listing["requireSignature"] is False
    assert [(e["version"], e["signed"], e.get("verified", False))
            for e in listing["entries"]["demo"]] == [("0.2.0", False, False),
                                                     ("0.1.0", True, False)]
