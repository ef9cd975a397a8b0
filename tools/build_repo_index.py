"""Rebuilds ``repo-index/``: every chart in ``charts/`` packaged, plus ``index.yaml``.

    python tools/build_repo_index.py [CHARTS_DIR] [REPO_DIR]

Packages are deterministic, and an index whose entries did not change is left as it
is, so running this on an unchanged tree changes no file (``make repo-index``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhelm.action.repo import IndexOptions, index_directory  # noqa: E402
from pyhelm.chart.package import package_bytes  # noqa: E402


def build(charts: Path, repo: Path) -> list[Path]:
    repo.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in sorted(p for p in charts.iterdir() if (p / "Chart.yaml").exists()):
        name, version, data = package_bytes(chart)
        target = repo / f"{name}-{version}.tgz"
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            written.append(target)
    index_directory(IndexOptions(directory=str(repo)))
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    charts_dir = Path(args[0]) if args else ROOT / "charts"
    repo_dir = Path(args[1]) if len(args) > 1 else ROOT / "repo-index"
    for path in build(charts_dir, repo_dir):
        print(f"packaged {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
