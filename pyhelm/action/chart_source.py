"""Finding the chart a command names: a local directory or ``.tgz``, or (through the
repository layer, imported only then) ``REPO/CHART``, a package URL or ``oci://``."""

from __future__ import annotations

from pathlib import Path

from pyhelm.chart.loader import load_chart
from pyhelm.chart.model import Chart
from pyhelm.errors import ChartError
from pyhelm.settings import RepoPaths


def load_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                   paths: RepoPaths | None = None) -> Chart:
    """Load a chart by reference; a local path is used as it is."""
    path = Path(ref)
    if path.exists() and not repo_url:
        chart = load_chart(path)
        if version and chart.metadata.version != version:
            raise ChartError(f"{ref}: chart version is {chart.metadata.version}, "
                             f"not the requested {version}")
        return chart
    if "://" in ref or ref.count("/") == 1 or repo_url:
        from pyhelm.repo.locate import locate_chart

        return load_chart(locate_chart(ref, version=version, repo_url=repo_url,
                                       paths=paths))
    raise ChartError(f"{ref}: no such chart directory or archive")
