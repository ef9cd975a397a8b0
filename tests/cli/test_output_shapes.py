"""Offline output shapes beside Helm 4: ``repo list`` and ``search repo`` read the same
repositories.yaml and cached indexes (HELM_CONFIG_HOME / HELM_CACHE_HOME), so every
format must be byte-identical; written files get mode 0644."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing.peers import helm_binary, helm_env

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "pyhelm"


@pytest.fixture
def homes(tmp_path: Path) -> dict[str, str]:
    env = helm_env(tmp_path)
    config, cache = Path(env["HELM_CONFIG_HOME"]), Path(env["HELM_CACHE_HOME"])
    config.mkdir(parents=True)
    (cache / "repository").mkdir(parents=True)
    (config / "repositories.yaml").write_text(
        'apiVersion: ""\ngenerated: "2024-01-01T00:00:00Z"\nrepositories:\n'
        "- name: local\n  url: http://127.0.0.1:8879\n"
        "- name: a-much-longer-name\n  url: https://charts.example.com/x?a=1&b=<2>\n")
    for name in ("local", "a-much-longer-name"):
        shutil.copy(ROOT / "repo-index" / "index.yaml",
                    cache / "repository" / f"{name}-index.yaml")
    return env


def both(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    helm = subprocess.run([str(helm_binary()), *args], capture_output=True, text=True,
                          env=env, check=False)
    ours = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          check=False)
    return helm, ours


@pytest.mark.parametrize("chart", ["uses-lib", "demo"])
def test_dependency_list_matches_helm_byte_for_byte(tmp_path: Path, chart: str) -> None:
    shutil.copytree(ROOT / "charts", tmp_path / "charts")
    env = helm_env(tmp_path / "home")
    helm, ours = (subprocess.run([str(tool), "dependency", "list", f"charts/{chart}"],
                                 capture_output=True, text=True, env=env, cwd=tmp_path,
                                 check=False) for tool in (helm_binary(), SCRIPT))
    assert helm.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == helm.stdout


@pytest.mark.parametrize("args", [
    ["repo", "list"], ["repo", "list", "-o", "json"], ["repo", "list", "-o", "yaml"],
    ["search", "repo"], ["search", "repo", "-o", "json"], ["search", "repo", "-o", "yaml"],
    ["search", "repo", "demo", "--versions"], ["search", "repo", "--max-col-width", "12"],
    ["search", "repo", "nothing-matches"], ["search", "repo", "nothing-matches", "-o", "json"],
], ids=" ".join)
def test_repository_outputs_match_helm_byte_for_byte(homes: dict[str, str],
                                                     args: list[str]) -> None:
    helm, ours = both(homes, *args)
    assert helm.returncode == 0, helm.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == helm.stdout


def test_empty_repo_list_says_so_like_helm(tmp_path: Path) -> None:
    helm, ours = both(helm_env(tmp_path), "repo", "list")
    assert helm.returncode == ours.returncode == 0
    assert ours.stderr == helm.stderr == "no repositories to show\n"
    assert ours.stdout == helm.stdout == ""
    for fmt in ("json", "yaml"):
        helm, ours = both(helm_env(tmp_path), "repo", "list", "-o", fmt)
        assert ours.stdout == helm.stdout == "[]\n"
    helm, ours = both(helm_env(tmp_path), "search", "repo", "x")
    assert helm.returncode == ours.returncode == 1
    assert ours.stderr == helm.stderr == "Error: no repositories configured\n"


def test_written_files_are_0644(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: Helm writes 0644 under it
    try:
        out = tmp_path / "out"
        done = subprocess.run([str(SCRIPT), "package", str(ROOT / "charts" / "demo"), "-d",
                               str(out)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        done = subprocess.run([str(SCRIPT), "repo", "index", str(out)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
    finally:
        os.umask(old)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()}
    assert modes == {"demo-0.1.0.tgz": "0o644", "index.yaml": "0o644"}


def test_version_has_helms_build_info_fields(tmp_path: Path) -> None:
    import json
    import re

    helm, ours = both(helm_env(tmp_path), "version")
    field = re.compile(r"(\w+):\"")
    theirs = field.findall(helm.stdout)
    mine = field.findall(ours.stdout)
    assert mine[:len(theirs)] == theirs  # Helm's fields, in Helm's order, then ours
    as_json = json.loads(subprocess.run([str(SCRIPT), "version", "-o", "json"],
                                        capture_output=True, text=True, check=True).stdout)
    snake = [re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower() for name in theirs]
    assert list(as_json)[:len(snake)] == snake
