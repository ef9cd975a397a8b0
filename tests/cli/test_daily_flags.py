"""Helm 4's daily flags on install/upgrade: --wait strategies and --hide-notes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.cli.main import wait_strategy_flags

ROOT = Path(__file__).resolve().parents[2]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.mark.parametrize(("argv", "expected"), [
    (["install", "--wait", "web", "c"], ["install", "--wait", "web", "c"]),
    (["install", "web", "c", "--wait=watcher"], ["install", "web", "c", "--wait"]),
    (["install", "web", "c", "--wait=legacy"], ["install", "web", "c", "--wait"]),
    (["install", "web", "c", "--wait=hookOnly"], ["install", "web", "c"]),
    (["install", "web", "c", "--", "--wait=hookOnly"],
     ["install", "web", "c", "--", "--wait=hookOnly"]),
])
def test_wait_strategies_as_helm_4_names_them(argv: list[str], expected: list[str]) -> None:
    assert wait_strategy_flags(argv) == expected


def test_unknown_wait_strategy_and_hide_notes(tmp_path: Path) -> None:
    bad = subprocess.run([PYHELM, "install", "web", str(ROOT / "charts" / "demo"),
                          "--dry-run=client", "--wait=sometimes"], capture_output=True,
                         text=True, check=False)
    assert bad.returncode == 1
    assert 'invalid wait input "sometimes"' in bad.stderr
    args = [PYHELM, "install", "web", str(ROOT / "charts" / "demo"), "--dry-run=client",
            "--kubeconfig", str(tmp_path / "none")]
    shown = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    hidden = subprocess.run([*args, "--hide-notes"], capture_output=True, text=True,
                            check=True).stdout
    assert "NOTES:" in shown and "NOTES:" not in hidden
