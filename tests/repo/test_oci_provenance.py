"""Provenance in OCI registries (issue 25): ``push`` uploads ``NAME-VERSION.tgz.prov`` as a
layer of its own (layers in digest order, as Helm 4.3 does); ``pull --verify`` fetches and checks
it. Run with Helm 4.3.1 on a real ``docker-registry`` on 127.0.0.1, each tool pulling what the other
pushed, and both refusing a tampered archive."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.testing import peers
from pyhelm.testing.registry import RegistryUnavailable, running_registry
from tests.cli.test_provenance import _files, _tampered_archive, run, sign
from tests.signing_keys import Keys, make_keys

pytestmark = [pytest.mark.registry, pytest.mark.helm]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    try:
        with running_registry(tmp_path / "registry") as host:
            yield host
    except RegistryUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("oci-keys"))


@pytest.fixture
def env(tmp_path: Path, keys: Keys) -> dict[str, str]:
    return peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0", GNUPGHOME=str(keys.home),
                          XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
                          XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))


def _manifest(host: str, repository: str, tag: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://{host}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        loaded: dict[str, object] = json.loads(answer.read())
    return loaded


@pytest.mark.parametrize("pusher", ["helm", "pyhelm"])
def test_push_uploads_the_prov_layer_and_pull_verify_checks_it(
        registry: str, keys: Keys, env: dict[str, str], tmp_path: Path, pusher: str) -> None:
    package = sign(pusher, "ed", tmp_path / "signed", keys, env)
    pushed = run(pusher, "push", package, f"oci://{registry}/charts", "--plain-http",
                 env=env)
    assert pushed.returncode == 0, pushed.stderr
    layers = _manifest(registry, "charts/demo", "0.1.0")["layers"]
    assert sorted(layer["mediaType"] for layer in layers) == [  # type: ignore[attr-defined]
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "application/vnd.cncf.helm.chart.provenance.v1.prov"]
    digests = [layer["digest"] for layer in layers]  # type: ignore[attr-defined]
    assert digests == sorted(digests)  # Helm sorts the layers by digest
    results = {}
    for tool in ("helm", "pyhelm"):
        dest = tmp_path / f"pulled-{tool}"
        dest.mkdir()
        results[tool] = run(tool, "pull", f"oci://{registry}/charts/demo", "--version",
                            "0.1.0", "--verify", "--keyring", keys.pubring, "-d", dest,
                            "--plain-http", env=env)
        assert results[tool].returncode == 0, results[tool].stderr
        assert (dest / "demo-0.1.0.tgz").read_bytes() == package.read_bytes()
        assert (dest / "demo-0.1.0.tgz.prov").read_bytes() == \
            Path(f"{package}.prov").read_bytes()
    verified = [line for line in results["helm"].stdout.splitlines()
                if line.startswith(("Signed by:", "Using Key", "Chart Hash"))]
    assert len(verified) == 3
    assert all(line in results["pyhelm"].stdout.splitlines() for line in verified)


@pytest.mark.parametrize("pusher", ["helm", "pyhelm"])
def test_a_tampered_chart_is_refused_and_not_written(
        registry: str, keys: Keys, env: dict[str, str], tmp_path: Path, pusher: str) -> None:
    package = sign(pusher, "ed", tmp_path / "signed", keys, env)
    tampered = _tampered_archive(package, tmp_path / "tampered")
    pushed = run(pusher, "push", tampered, f"oci://{registry}/charts", "--plain-http",
                 env=env)
    assert pushed.returncode == 0, pushed.stderr
    results = {}
    for tool in ("helm", "pyhelm"):
        dest = tmp_path / f"pulled-{tool}"
        dest.mkdir()
        results[tool] = run(tool, "pull", f"oci://{registry}/charts/demo", "--version",
                            "0.1.0", "--verify", "--keyring", keys.pubring, "-d", dest,
                            "--plain-http", env=env)
    helm, mine = results["helm"], results["pyhelm"]
    assert helm.returncode == 1 and "sha256 sum does not match" in helm.stderr, helm.stderr
    assert (mine.returncode, mine.stderr) == (1, helm.stderr)
    assert _files(tmp_path / "pulled-pyhelm") == []


def test_pull_verify_of_an_unsigned_chart_fails(registry: str, keys: Keys,
                                                env: dict[str, str], tmp_path: Path) -> None:
    package = sign("pyhelm", "ed", tmp_path / "signed", keys, env)
    unsigned = tmp_path / "unsigned" / package.name
    unsigned.parent.mkdir()
    shutil.copy(package, unsigned)
    assert run("pyhelm", "push", unsigned, f"oci://{registry}/charts", env=env).returncode == 0
    layers = _manifest(registry, "charts/demo", "0.1.0")["layers"]
    assert len(layers) == 1  # type: ignore[arg-type]
    for tool in ("helm", "pyhelm"):
        dest = tmp_path / f"pulled-{tool}"
        dest.mkdir()
        result = run(tool, "pull", f"oci://{registry}/charts/demo", "--version", "0.1.0",
                     "--verify", "--keyring", keys.pubring, "-d", dest, "--plain-http",
                     env=env)
        assert result.returncode == 1, (tool, result.stdout)
    assert _files(tmp_path / "pulled-pyhelm") == []
