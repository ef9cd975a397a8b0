"""``repo-index/`` is the repository built from ``charts/``, and it is up to date."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pyhelm.chart.package import package_bytes
from pyhelm.repo.index import load_index

ROOT = Path(__file__).resolve().parents[2]


def test_repo_index_matches_the_charts() -> None:
    """If this fails, run `make repo-index` and commit the result."""
    index = load_index((ROOT / "repo-index" / "index.yaml").read_bytes(), "repo-index")
    charts = sorted(p for p in (ROOT / "charts").iterdir() if (p / "Chart.yaml").exists())
    assert sorted(index.entries) == sorted(p.name for p in charts)
    for chart in charts:
        name, version, data = package_bytes(chart)
        entry = index.get(name, version)
        assert entry is not None, f"{name}-{version} is not in repo-index/index.yaml"
        assert entry.digest == hashlib.sha256(data).hexdigest(), f"{name} changed"
        assert entry.urls == [f"{name}-{version}.tgz"]
        assert (ROOT / "repo-index" / entry.urls[0]).read_bytes() == data
