"""Each benchmark under bench/ runs, at tiny sizes: the benchmarks stay correct (both
tools succeed on every row) without timing anything here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_render_bench_smoke() -> None:
    assert "N=10 " in bench("bench/run.py", "--smoke")


def test_repo_bench_smoke() -> None:
    out = bench("bench/repo_bench.py", "--packages", "3", "--charts", "3", "--versions", "2")
    assert "repo index, 3 packages" in out


def test_repo_serve_bench_smoke() -> None:
    out = bench("bench/repo_serve.py", "--versions", "20", "--clients", "4", "--duration", "1",
                "--workers", "1")
    assert "new uvicorn" in out


@pytest.mark.cluster
def test_command_bench_smoke_every_row(kubeconfig: str) -> None:
    from bench.commands import ROWS  # type: ignore[import-not-found]

    out = bench("bench/commands.py", "--smoke", "--markdown", env={"KUBECONFIG": kubeconfig})
    for row in ROWS:
        assert f"| {row.name} |" in out, out
