"""--dry-run=server asks the API server to validate every object and records nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster
ROOT = Path(__file__).resolve().parents[2]


def pyhelm(kubeconfig: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pyhelm", "--kubeconfig", kubeconfig,
                           "-n", namespace, *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_server_dry_run_validates_on_the_server_and_writes_nothing(
        kubeconfig: str, namespace: str) -> None:
    ok = pyhelm(kubeconfig, namespace, "install", "web", str(ROOT / "charts/demo"),
                "--dry-run=server")
    assert ok.returncode == 0, ok.stderr
    listed = pyhelm(kubeconfig, namespace, "list", "-o", "json")
    assert listed.stdout.strip() == "[]"
    # a label value with a space: no schema rule forbids it, the API server does
    bad_label = ("--set", "podLabels.team=two words")
    client = pyhelm(kubeconfig, namespace, "install", "web", str(ROOT / "charts/demo"),
                    *bad_label, "--dry-run=client")
    assert client.returncode == 0, client.stderr
    server = pyhelm(kubeconfig, namespace, "install", "web", str(ROOT / "charts/demo"),
                    *bad_label, "--dry-run=server")
    assert server.returncode == 1
    assert "Deployment" in server.stderr and "two words" in server.stderr
    assert "Traceback" not in server.stderr
    assert pyhelm(kubeconfig, namespace, "list", "-o", "json").stdout.strip() == "[]"
