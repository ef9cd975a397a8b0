"""Small plugins written by the plugin tests, and a runner for Helm and pyhelm side by side
(each with its own config, cache and data homes under the test's directory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pyhelm.cli.output import table
from pyhelm.helm_reference import HELM_DIFF_VERSION
from pyhelm.testing import peers

PYHELM = str(Path(sys.executable).with_name("pyhelm"))
BUILT_IN_DIFF = ["diff", HELM_DIFF_VERSION, "cli/v1", "legacy", "built-in",
                 "https://github.com/databus23/helm-diff"]


def with_built_in(listing: str, kind: str = "") -> str:
    """Helm's ``plugin list`` table with the row of pyhelm's built-in diff added, padded
    as uitable pads (what pyhelm prints when no installed plugin is called diff)."""
    rows = [[cell.rstrip() for cell in line.split("\t")] for line in listing.splitlines()]
    if any(row[0] == "diff" for row in rows[1:]) or kind not in ("", "cli/v1"):
        return listing
    return table(rows[0], [*rows[1:], BUILT_IN_DIFF]) + "\n"


def helm() -> str:
    return str(peers.helm_binary())


def run(tool: str, home: Path, *args: str, stdin: str | None = None,
        **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, *args], env=peers.helm_env(home, **env), input=stdin,
                          capture_output=True, text=True, check=False, timeout=300)


def write(directory: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if name in executable:
            path.chmod(0o755)
    return directory


def v1_plugin(directory: Path, name: str, kind: str = "cli/v1", *, version: str = "0.1.0",
              config: str = "", runtime_config: str = "", extra: str = "") -> Path:
    """A Helm 4 layout plugin.yaml (apiVersion v1) in ``directory``."""
    text = (f"apiVersion: v1\nname: {name}\nversion: {version}\ntype: {kind}\n"
            f"runtime: subprocess\n{extra}")
    if config:
        text += "config:\n" + config
    if runtime_config:
        text += "runtimeConfig:\n" + runtime_config
    return write(directory, {"plugin.yaml": text})


def legacy_plugin(directory: Path, text: str) -> Path:
    """A Helm 3 layout plugin.yaml (no apiVersion) in ``directory``."""
    return write(directory, {"plugin.yaml": text})
