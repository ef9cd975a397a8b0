"""The README's Library API example runs as written against the real cluster."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


def library_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Library API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README Library API section has no python example"
    return match.group(1)


def test_readme_library_example_runs(kubeconfig: str, namespace: str) -> None:
    code = library_example().replace('namespace="demo"', f'namespace="{namespace}"')
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, KUBECONFIG=kubeconfig))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "web 1 deployed"
    assert lines[1:4] == ["1 superseded Install complete", "2 superseded Upgrade complete",
                          "3 deployed Rollback to 1"]
    assert lines[4] == 'error: release "web" has no revision 42'
