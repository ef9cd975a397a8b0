"""Helm's chart path flags: ``--repo URL`` (with ``--username/--password``), ``--devel``
and ``--dependency-update``, compared with Helm 4 on the same repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.repo.server import ServerSettings
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.fixture
def go_repo(tmp_path: Path, serve_repository: Callable[[ServerSettings], str]) -> str:
    env = peers.helm_env(tmp_path)
    subprocess.run([str(peers.helm_binary()), "create", "web"], cwd=tmp_path, env=env,
                   check=True, capture_output=True)
    for version in ("1.0.0", "1.1.0-rc.1"):
        write_package(tmp_path / "web", tmp_path / "repo", version=version)
    return serve_repository(ServerSettings(directory=tmp_path / "repo", port=0))


@pytest.mark.parametrize("extra", [[], ["--devel"], ["--version", "~1.0"]],
                         ids=["newest stable", "devel", "constraint"])
def test_repo_flag_picks_the_version_helm_picks(extra: list[str], go_repo: str,
                                                tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "c"),
                         XDG_CACHE_HOME=str(tmp_path / "k"))
    args = ["template", "r", "web", "--repo", go_repo, "--username", "u", "--password", "p",
            *extra]
    helm = subprocess.run([str(peers.helm_binary()), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    mine = subprocess.run([PYHELM, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout


def test_dependency_update_fetches_what_is_missing(go_repo: str, tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    shutil.copytree(tmp_path / "web", parent)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\n"
        f"dependencies:\n- {{name: web, version: 1.0.0, repository: {go_repo}}}\n")
    missing = subprocess.run([PYHELM, "template", "r", str(parent)], capture_output=True,
                             text=True, check=False)
    assert missing.returncode == 1
    done = subprocess.run([PYHELM, "template", "r", str(parent), "--dependency-update"],
                          capture_output=True, text=True, check=False,
                          env={**peers.helm_env(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "k")})
    assert done.returncode == 0, done.stderr
    assert (parent / "charts" / "web-1.0.0.tgz").exists()
    assert "# Source: parent/charts/web/templates/deployment.yaml" in done.stdout
