"""The README's tooling lines run as written: ``make demo`` (its own control plane, the
CLI flow on charts/demo) and the local control plane launcher's four commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster
ROOT = Path(__file__).resolve().parents[2]


def _readme_lines(prefix: str) -> list[str]:
    return [line.strip().split("  #", 1)[0].strip()
            for line in (ROOT / "README.md").read_text().splitlines()
            if line.startswith("    " + prefix)]


def test_make_demo_runs() -> None:
    assert "make demo" in _readme_lines("make")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}  # it starts its own
    done = subprocess.run(["make", "demo"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Rollback to 1" in done.stdout


def test_cluster_launcher_lines(tmp_path: Path) -> None:
    lines = _readme_lines("python -m pyhelm.testing.cluster")
    assert [line.split()[-1] for line in lines] == ["build", "up", "env", "down"]
    python = str(Path(sys.executable))
    run = [line.replace("python", python, 1) for line in lines]
    assert subprocess.run(["bash", "-c", run[0]], cwd=ROOT, capture_output=True,
                          timeout=900, check=False).returncode == 0
    # the lines' default state dir is under the cache: a private cache (the built
    # binaries named by KUBEBUILDER_ASSETS) keeps a cluster someone else runs untouched
    from pyhelm.testing.cluster_build import bin_dir

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "KUBEBUILDER_ASSETS": str(bin_dir())}
    up = subprocess.Popen(["bash", "-c", run[1]], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "cluster ready" not in line:
            line = up.stdout.readline()
        assert "cluster ready" in line
        export = subprocess.run(["bash", "-c", run[2]], cwd=ROOT, capture_output=True,
                                text=True, check=True, env=env).stdout.strip()
        assert export.startswith(f"export KUBECONFIG={tmp_path}")
        second = subprocess.run(["bash", "-c", run[1]], cwd=ROOT, capture_output=True,
                                text=True, timeout=60, check=False, env=env)
        assert second.returncode == 1 and "already up" in second.stderr
        kubeconfig = export.split("=", 1)[1]
        listed = subprocess.run([str(Path(sys.executable).with_name("pyhelm")), "list", "-A",
                                 "--kubeconfig", kubeconfig], capture_output=True, text=True,
                                timeout=60, check=False)
        assert listed.returncode == 0, listed.stderr
    finally:
        subprocess.run(["bash", "-c", run[3]], cwd=ROOT, capture_output=True, check=False,
                       env=env)
        up.wait(timeout=60)
        if up.stdout is not None:
            up.stdout.close()
