"""Compiled templates on disk: reused across processes, keyed by content, and never a
reason for a render to fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def template(chart: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pyhelm", "template", "web", str(chart)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)})


def test_a_second_process_renders_from_the_cache_the_same_text(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = template(ROOT / "charts" / "demo", cache)
    assert first.returncode == 0, first.stderr
    files = sorted((cache / "pyhelm" / "jinja").glob("*.jinjac"))
    assert files, "nothing was cached"
    stamps = {f: f.stat().st_mtime_ns for f in files}
    second = template(ROOT / "charts" / "demo", cache)
    assert second.stdout == first.stdout
    assert {f: f.stat().st_mtime_ns for f in files} == stamps  # read, not rewritten


def test_an_edited_template_is_compiled_again(tmp_path: Path) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    page = chart / "templates" / "cm.yaml"
    page.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n")
    cache = tmp_path / "cache"
    assert "name: one" in template(chart, cache).stdout
    page.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n")
    assert "name: two" in template(chart, cache).stdout


def test_a_corrupt_or_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        unwritable = tmp_path / "file-not-dir"
        unwritable.write_text("")  # even root cannot make a directory under a file
    else:
        unwritable = tmp_path / "ro"
        unwritable.mkdir(mode=0o500)
    done = template(ROOT / "charts" / "demo", unwritable)
    assert done.returncode == 0, done.stderr
    cache = tmp_path / "cache"
    template(ROOT / "charts" / "demo", cache)
    for file in (cache / "pyhelm" / "jinja").glob("*.jinjac"):
        file.write_bytes(b"garbage")
    again = template(ROOT / "charts" / "demo", cache)
    assert again.returncode == 0 and again.stdout == done.stdout, again.stderr


def test_library_render_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhelm.engine import bytecode_cache

    monkeypatch.setattr(bytecode_cache, "_shared",
                        bytecode_cache.ContentBytecodeCache(tmp_path / "jinja"))
    from pyhelm.chart.loader import load_chart
    from pyhelm.chart.prepare import prepare
    from pyhelm.engine.release_info import ReleaseContext
    from pyhelm.engine.render import render

    chart = load_chart(ROOT / "charts" / "demo")
    render(prepare(chart, {}), release=ReleaseContext("web"))
    assert list((tmp_path / "jinja").glob("*.jinjac"))
