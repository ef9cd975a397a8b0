"""Finding the chart a command names: a directory or a packaged ``.tgz`` on disk."""

from __future__ import annotations

from pathlib import Path

from pyhelm.chart.loader import load_chart
from pyhelm.chart.model import Chart
from pyhelm.errors import ChartError


def load_chart_ref(ref: str, version: str | None = None) -> Chart:
    """Load a local chart; a reference that is not on disk gets a clear error."""
    path = Path(ref)
    if path.exists():
        chart = load_chart(path)
        if version and chart.metadata.version != version:
            raise ChartError(f"{ref}: chart version is {chart.metadata.version}, "
                             f"not the requested {version}")
        return chart
    if "://" in ref or ref.count("/") == 1:
        raise ChartError(f'{ref}: not a local chart, and chart repositories are not '
                         "available in this build (use a chart directory or .tgz)")
    raise ChartError(f"{ref}: no such chart directory or archive")
