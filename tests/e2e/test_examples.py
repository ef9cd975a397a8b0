"""The example scripts run against the local control plane as users would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.cluster
def test_automation_example_runs_the_whole_lifecycle(kubeconfig: str, namespace: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "automation.py"), str(ROOT / "charts/demo"),
         "--namespace", namespace, "--kubeconfig", kubeconfig, "--name", "auto"],
        capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["revision 1: deployed", "revision 2: deployed"]
    assert lines[2].startswith("refused: ") and "replicaCount" in lines[2]
    assert lines[3] == "revision 3: Rollback to 1"
    assert lines[4:7] == ["  1 superseded automation: 1 replicas",
                          "  2 superseded automation: 2 replicas",
                          "  3 deployed Rollback to 1"]
    assert lines[7] == "values now: replicaCount=1"
    assert lines[8].startswith("uninstalled: ") and lines[8] != "uninstalled: 0 objects deleted"
    assert lines[9:] == ["gone: no release records left"]
    assert result.stderr == ""


@pytest.mark.cluster
def test_automation_example_reports_errors_in_one_line(tmp_path: Path, namespace: str) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "automation.py"), str(ROOT / "charts/demo"),
         "--namespace", namespace, "--kubeconfig", str(kubeconfig)],
        capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("cluster error (no answer): kubeconfig ")
