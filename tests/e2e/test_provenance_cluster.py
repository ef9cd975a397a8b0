"""``install --verify`` and ``upgrade --verify`` on the local control plane (issue 25),
beside Helm 4.3.1 on the same files: a signed chart installs and upgrades; a tampered one,
local or in a repository, is refused by both with the same message, and pyhelm then has
applied nothing, recorded nothing and cached nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.testing import peers
from tests.cli.test_provenance import _files, _publish, _tampered_archive, http_repository
from tests.signing_keys import USER_IDS, Keys, make_keys

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
__all__ = ["http_repository"]  # a fixture, used below


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("cluster-keys"))


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str, keys: Keys) -> dict[str, str]:
    return peers.helm_env(tmp_path, KUBECONFIG=kubeconfig, PYHELM_COMMAND_SERVER="0",
                          GNUPGHOME=str(keys.home), XDG_CACHE_HOME=str(tmp_path / "xdg"))


def run(tool: str, env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [str(peers.helm_binary())] if tool == "helm" else [sys.executable, "-m",
                                                                  "pyhelm"]
    return subprocess.run([*command, *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=180, check=False)


@pytest.fixture
def signed(tmp_path: Path, keys: Keys, env: dict[str, str]) -> Iterator[tuple[Path, Path]]:
    """A Go-template chart signed by Helm, and a tampered copy under the same name."""
    created = run("helm", env, "create", tmp_path / "hello")
    assert created.returncode == 0, created.stderr
    packaged = run("helm", env, "package", tmp_path / "hello", "-d", tmp_path / "signed",
                   "--sign", "--key", USER_IDS["ed"], "--keyring", keys.secring)
    assert packaged.returncode == 0, packaged.stderr
    good = tmp_path / "signed" / "hello-0.1.0.tgz"
    yield good, _tampered_archive(good, tmp_path / "tampered")


def _releases(env: dict[str, str], namespace: str) -> list[tuple[str, int]]:
    listed = run("helm", env, "list", "-n", namespace, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    return sorted((r["name"], int(r["revision"])) for r in json.loads(listed.stdout))


def test_install_and_upgrade_verify_local_archives(env: dict[str, str], namespace: str,
                                                   keys: Keys,
                                                   signed: tuple[Path, Path]) -> None:
    good, tampered = signed
    flags = ["--verify", "--keyring", str(keys.pubring), "-n", namespace]
    refused = {tool: run(tool, env, "install", f"bad-{tool}", tampered, *flags)
               for tool in ("helm", "pyhelm")}
    assert refused["helm"].returncode == 1, refused["helm"].stdout
    assert "sha256 sum does not match" in refused["helm"].stderr
    assert (refused["pyhelm"].returncode, refused["pyhelm"].stderr) == \
        (1, refused["helm"].stderr)
    assert _releases(env, namespace) == []
    for tool in ("helm", "pyhelm"):
        installed = run(tool, env, "install", f"good-{tool}", good, *flags)
        assert installed.returncode == 0, installed.stderr
    upgrades = {tool: run(tool, env, "upgrade", f"good-{tool}", tampered, *flags)
                for tool in ("helm", "pyhelm")}
    assert upgrades["helm"].returncode == 1
    assert (upgrades["pyhelm"].returncode, upgrades["pyhelm"].stderr) == \
        (1, upgrades["helm"].stderr)
    for tool in ("helm", "pyhelm"):
        upgraded = run(tool, env, "upgrade", f"good-{tool}", good, *flags)
        assert upgraded.returncode == 0, upgraded.stderr
    assert _releases(env, namespace) == [("good-helm", 2), ("good-pyhelm", 2)]


def test_install_verify_from_a_repository_caches_nothing_refused(
        env: dict[str, str], namespace: str, keys: Keys, signed: tuple[Path, Path],
        http_repository: tuple[Path, str], tmp_path: Path) -> None:
    root, url = http_repository
    good, tampered = signed
    _publish(tampered, root, url, env)
    flags = ["--repo", url, "--verify", "--keyring", str(keys.pubring), "-n", namespace]
    helm = run("helm", env, "install", "remote-helm", "hello", *flags)
    mine = run("pyhelm", env, "install", "remote-pyhelm", "hello", *flags)
    assert helm.returncode == 1 and "sha256 sum does not match" in helm.stderr, helm.stderr
    assert (mine.returncode, mine.stderr) == (1, helm.stderr)
    assert _releases(env, namespace) == []
    cache = Path(env["HELM_CACHE_HOME"]) / "content"
    assert not [f for f in _files(cache) if "hello" in f]  # Helm's own cache keeps it
    _publish(good, root, url, env)
    installed = run("pyhelm", env, "install", "remote-pyhelm", "hello", *flags)
    assert installed.returncode == 0, installed.stderr
    assert _releases(env, namespace) == [("remote-pyhelm", 1)]
