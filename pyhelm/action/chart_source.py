"""Finding the chart a command names: a local directory or ``.tgz``, or (through the
repository layer, imported only then) ``REPO/CHART``, a package URL or ``oci://``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyhelm.errors import ChartError

if TYPE_CHECKING:
    from pyhelm.chart.model import Chart
    from pyhelm.settings import RepoPaths


@dataclass(frozen=True)
class ChartSource:
    """A loaded chart and the directory or archive it was loaded from (Helm charts are
    rendered by Helm's engine from there)."""

    chart: Chart
    path: Path


def locate_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                     paths: RepoPaths | None = None) -> Path:
    """The local directory or archive of a chart reference, downloading it if needed; a
    local path is used as it is (and must hold ``version`` when one is asked for)."""
    path = Path(ref)
    if path.exists() and not repo_url:
        if version:
            from pyhelm.chart.loader import load_chart

            chart = load_chart(path)
            if chart.metadata.version != version:
                raise ChartError(f"{ref}: chart version is {chart.metadata.version}, "
                                 f"not the requested {version}")
        return path
    if not repo_url and (path.is_absolute() or ref.startswith(".")):
        raise ChartError(f'path "{ref}" not found')  # Helm's rule: never a repository
    if "://" in ref or ref.count("/") == 1 or repo_url:
        from pyhelm.repo.locate import locate_chart

        return Path(locate_chart(ref, version=version, repo_url=repo_url, paths=paths))
    raise ChartError(f"{ref}: no such chart directory or archive")


def open_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                   paths: RepoPaths | None = None) -> ChartSource:
    """Locate and load a chart by reference (see ``locate_chart_ref``)."""
    from pyhelm.chart.loader import load_chart

    path = locate_chart_ref(ref, version, repo_url, paths)
    return ChartSource(load_chart(path), path)


def load_chart_ref(ref: str, version: str | None = None, repo_url: str | None = None,
                   paths: RepoPaths | None = None) -> Chart:
    """Load a chart by reference (see ``open_chart_ref``)."""
    return open_chart_ref(ref, version, repo_url, paths).chart
