"""The README's "Two chart engines" command lines run exactly as written.

Each indented line of the section is run by a shell in the repository root (the shared
corpus sits beside the clone), against the local control plane; the namespace it names
is removed afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]


def section_commands(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines()
            if line.startswith("    ") and line.strip().startswith("pyhelm ")]


def test_engine_section_commands_run_as_written(kubeconfig: str) -> None:
    commands = section_commands("Two chart engines: Jinja2 and Helm's Go templates")
    assert len(commands) == 2
    env = dict(os.environ, KUBECONFIG=kubeconfig,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    try:
        for command in commands:
            done = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=300, check=False)
            assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert "kind: Deployment" in subprocess.run(
            commands[0], shell=True, cwd=ROOT, env=env, capture_output=True, text=True,
            check=True).stdout
    finally:
        subprocess.run(["pyhelm", "--kubeconfig", kubeconfig, "-n", "monitoring", "uninstall",
                        "pne"], env=env, capture_output=True, check=False)
