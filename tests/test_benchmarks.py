"""Each benchmark under bench/ runs, at tiny sizes, exactly as the README's Benchmarks
section shows it: the benchmarks stay correct (both tools succeed on every row) without
timing anything here."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_lines() -> dict[str, list[str]]:
    """The Benchmarks section's command lines, by script name."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines()
             if line.startswith("    .venv/bin/python bench/")]
    return {shlex.split(line)[1]: shlex.split(line) for line in lines}


def run(script: str, env: dict[str, str] | None = None) -> str:
    command = readme_lines()[script]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          check=False, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_readme_shows_each_benchmark() -> None:
    assert sorted(readme_lines()) == ["bench/commands.py", "bench/controller.py",
                                      "bench/repo_bench.py", "bench/repo_serve.py",
                                      "bench/run.py"]


def test_render_bench_smoke() -> None:
    assert "N=10 " in run("bench/run.py")


def test_repo_bench_smoke() -> None:
    assert "repo index, 3 packages" in run("bench/repo_bench.py")


def test_repo_serve_bench_smoke() -> None:
    assert "new uvicorn" in run("bench/repo_serve.py")


@pytest.mark.cluster
def test_command_bench_smoke_every_row(kubeconfig: str) -> None:
    from bench.commands import ROWS  # type: ignore[import-not-found]

    out = run("bench/commands.py", env={"KUBECONFIG": kubeconfig})
    for row in ROWS:
        assert row.name in out, out


@pytest.mark.cluster
@pytest.mark.helm
@pytest.mark.registry
def test_controller_bench_smoke_every_row(kubeconfig: str) -> None:
    """3 HelmReleases through ``pyhelm controller`` (with source-controller and a
    registry), and the Helm and pyhelm CLI baselines of the same releases. The run exits
    1 when a row fails: the idle row when the controller reports drift, makes a revision
    or writes a managed object while nothing changed."""
    out = run("bench/controller.py", env={"KUBECONFIG": kubeconfig})
    for row in ("controller --concurrent 4: install",
                "controller --concurrent 4: upgrade (a value of each)",
                "controller --concurrent 4: drift, 3 ConfigMaps changed or deleted",
                "controller --concurrent 4: idle 6 s, drift detection enabled",
                "controller --concurrent 4: idle 6 s, drift detection warn",
                "Helm 4.3.1: upgrade --install, 10 at a time: install",
                "pyhelm CLI, command server on: upgrade --install",
                "pyhelm CLI, command server off: upgrade --install"):
        assert row in out, out


def test_readme_table_is_rewritten_from_a_run() -> None:
    from datetime import UTC, datetime

    from bench.commands import ROWS, Sample, readme_block, update_readme

    results = []
    for index, row in enumerate(ROWS):
        ours, theirs = Sample(), Sample()
        ours.add(0.1 * (index + 1), 40 * 1024)
        theirs.add(0.2, 80 * 1024)
        results.append((row, ours, theirs))
    readme = (ROOT / "README.md").read_text()
    block = readme_block(results, 5, datetime(2026, 11, 26, 3, 0, tzinfo=UTC), 42.4)
    updated = update_readme(readme, block)

    assert updated.count(block) == 1
    assert "Run 2026-11-26 03:00 UTC on " in updated and "medians of 5 runs" in updated
    assert "command server held 42 MiB resident" in updated
    for index, row in enumerate(ROWS):
        ratio = 0.1 * (index + 1) / 0.2
        goal = "none (for reference)" if row.goal is None else f"≤ {row.goal} ("
        assert f"| {row.name} | " in updated and f"| {ratio:.2f} | {goal}" in updated
    assert update_readme(updated, block) == updated  # the markers survive a rewrite
    with pytest.raises(SystemExit, match="has no"):
        update_readme("# no table here\n", block)
