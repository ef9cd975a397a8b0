"""``show values|readme|crds`` print what Helm 4.3 prints, byte for byte (newlines and
``---`` separators included), for pyhelm's charts and the shared corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
CHARTS = [ROOT / "charts" / "demo", ROOT / "charts" / "crd-example",
          ROOT.parent / "shared" / "helm-charts" / "nginx",
          ROOT.parent / "shared" / "helm-charts" / "ingress-nginx"]


@pytest.mark.parametrize("part", ["values", "readme", "crds"])
@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_show_prints_what_helm_prints(tmp_path: Path, chart: Path, part: str) -> None:
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = subprocess.run([str(peers.helm_binary()), "show", part, str(chart)],
                          capture_output=True, text=True, env=env, check=False)
    mine = subprocess.run([PYHELM, "show", part, str(chart)], capture_output=True,
                          text=True, env=env, check=False)
    assert (mine.returncode, mine.stdout) == (helm.returncode, helm.stdout)


@pytest.mark.parametrize("path", ["{.replicaCount}", "{.image.repository}{\"\\n\"}",
                                  "{.service}", "{.nope}", "{.image["])
def test_show_values_jsonpath_as_helm(tmp_path: Path, path: str) -> None:
    chart = ROOT / "charts" / "demo"
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = subprocess.run([str(peers.helm_binary()), "show", "values", str(chart),
                           "--jsonpath", path], capture_output=True, text=True, env=env,
                          check=False)
    mine = subprocess.run([PYHELM, "show", "values", str(chart), "--jsonpath", path],
                          capture_output=True, text=True, env=env, check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == (helm.returncode, helm.stdout,
                                                            helm.stderr)
