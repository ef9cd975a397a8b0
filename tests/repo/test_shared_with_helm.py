"""Repositories are shared with Helm by default: Helm's files in Helm's places."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = pytest.mark.helm
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


def test_each_tool_sees_the_repositories_the_other_added(served: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "PYHELM_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"),
               XDG_CACHE_HOME=str(tmp_path / ".cache"), XDG_DATA_HOME=str(tmp_path / ".data"))
    helm = str(peers.helm_binary())

    def run(*args: str) -> str:
        return subprocess.run(list(args), env=env, capture_output=True, text=True,
                              check=True).stdout

    run(helm, "repo", "add", "by-helm", served)
    assert (tmp_path / ".config" / "helm" / "repositories.yaml").exists()
    found = json.loads(run(PYHELM, "search", "repo", "by-helm/demo", "-o", "json"))
    assert [hit["name"] for hit in found] == ["by-helm/demo"]
    run(PYHELM, "repo", "add", "by-pyhelm", served)
    listed = json.loads(run(helm, "repo", "list", "-o", "json"))
    assert {r["name"] for r in listed} == {"by-helm", "by-pyhelm"}
    found = json.loads(run(helm, "search", "repo", "by-pyhelm/demo", "-o", "json"))
    assert [hit["name"] for hit in found] == ["by-pyhelm/demo"]


@pytest.mark.parametrize("args", [
    ["repo", "list", "--no-headers"], ["repo", "list"], ["repo", "update"],
    ["repo", "update", "--timeout", "30s"],
    ["search", "repo", "-r", "shared/d.m"], ["search", "repo", "--regexp", "^nothing$"],
    ["search", "repo", "nothing-like-it", "--fail-on-no-result"],
    ["search", "repo", "nothing-like-it", "--fail-on-no-result", "-o", "json"],
    ["search", "repo", "nothing-like-it"], ["search", "repo", "-r", "[unclosed"],
])
def test_listing_and_search_flags_as_helm(served: str, tmp_path: Path,
                                          args: list[str]) -> None:
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = str(peers.helm_binary())
    subprocess.run([helm, "repo", "add", "shared", served], env=env, capture_output=True,
                   check=True)
    theirs = subprocess.run([helm, *args], env=env, capture_output=True, text=True,
                            check=False)
    ours = subprocess.run([PYHELM, *args], env=env, capture_output=True, text=True,
                          check=False)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    assert ours.stderr.splitlines()[:1] == theirs.stderr.splitlines()[:1] or (
        "error parsing regexp" in ours.stderr and "error parsing regexp" in theirs.stderr)
