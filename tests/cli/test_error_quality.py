"""Bad input gets Helm's one-line error, exit 1, no traceback (Helm 4 run beside pyhelm)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("errors")
    subprocess.run([str(peers.helm_binary()), "create", "hc"], cwd=root, check=True,
                   capture_output=True, env=peers.helm_env(root))
    (root / "a-file").write_text("")
    bad = root / "badkv" / "templates"
    bad.mkdir(parents=True)
    (root / "badkv" / "Chart.yaml").write_text(
        'apiVersion: v2\nname: badkv\nversion: 0.1.0\nkubeVersion: ">= 1.40.0"\n')
    (bad / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    return root


CASES = {
    "missing local path": ["template", "x", "./missing-dir"],
    "bad --kube-version": ["template", "x", "hc", "--kube-version", "abc"],
    "invalid release name": ["template", "Bad_Name", "hc"],
    "kubeVersion not satisfied": ["template", "x", "badkv"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_error_line_as_helm(case: str, workdir: Path) -> None:
    env = peers.helm_env(workdir)
    for chart_dir in ("hc", str(ROOT / "charts" / "demo")):
        args = [chart_dir if a == "hc" else a for a in CASES[case]]
        helm = subprocess.run([str(peers.helm_binary()), *args], cwd=workdir, env=env,
                              capture_output=True, text=True, check=False)
        mine = subprocess.run([PYHELM, *args], cwd=workdir, env=env, capture_output=True,
                              text=True, check=False)
        assert (helm.returncode, mine.returncode) == (1, 1)
        assert "Traceback" not in mine.stderr
        expected = helm.stderr.strip().splitlines()[-1] if "Use --debug" not in helm.stderr \
            else helm.stderr.strip().splitlines()[0]
        assert mine.stderr.strip() == expected.replace("release name check failed: ", "")


def test_output_dir_that_is_a_file_and_bad_constraints_are_one_line(workdir: Path) -> None:
    for args in (["template", "x", str(ROOT / "charts" / "demo"), "--output-dir", "a-file"],
                 ["template", "x", "hc", "--output-dir", "a-file"]):
        done = subprocess.run([PYHELM, *args], cwd=workdir, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 1
        assert done.stderr.startswith("Error: --output-dir: a-file/")
        assert done.stderr.endswith(": Not a directory\n")
        assert len(done.stderr.splitlines()) == 1


def test_install_dry_run_client_needs_no_kubeconfig(workdir: Path) -> None:
    for chart in ("hc", str(ROOT / "charts" / "demo")):
        done = subprocess.run([PYHELM, "install", "x", chart, "--dry-run=client",
                               "--kubeconfig", str(workdir / "nonexistent")],
                              cwd=workdir, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "NAMESPACE: default" in done.stdout
