"""A Helm (Go template) chart served from a chart repository renders through pyhelm as
Helm renders the same chart: `repo add`, then `template REPO/CHART`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pyhelm.repo.server import ServerSettings
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "helm-charts"
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.fixture
def served_corpus(tmp_path: Path, serve_repository: Callable[[ServerSettings], str]) -> str:
    directory = tmp_path / "repo"
    directory.mkdir()
    for chart in ("metrics-server", "prometheus-node-exporter"):
        subprocess.run([PYHELM, "package", str(CORPUS / chart), "-d", str(directory)],
                       check=True, capture_output=True)
    return serve_repository(ServerSettings(directory=directory, port=0))


def test_repo_chart_renders_like_the_local_chart_in_helm(served_corpus: str,
                                                         tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "config"),
                         XDG_CACHE_HOME=str(tmp_path / "cache"))
    subprocess.run([PYHELM, "repo", "add", "corpus", served_corpus], env=env, check=True,
                   capture_output=True)
    for chart in ("metrics-server", "prometheus-node-exporter"):
        ours = subprocess.run([PYHELM, "template", "rel", f"corpus/{chart}", "-n", "ns"],
                              env=env, capture_output=True, text=True, check=False)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == (CORPUS / "expected" / f"{chart}__default.yaml").read_text()
