"""``dependency list``: the state of a chart's dependencies (building and updating them
is ``dependency_update``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhelm.chart import semver
from pyhelm.chart.loader import load_chart
from pyhelm.chart.model import Dependency
from pyhelm.errors import ChartError


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    version: str
    repository: str
    status: str  # ok, missing, wrong version, unpacked


def _present(chart_dir: Path) -> dict[str, tuple[str, bool]]:
    """name -> (version, packaged) of every chart found in charts/."""
    found: dict[str, tuple[str, bool]] = {}
    charts = chart_dir / "charts"
    if not charts.is_dir():
        return found
    for entry in sorted(charts.iterdir()):
        try:
            if entry.is_dir() or entry.name.endswith(".tgz"):
                chart = load_chart(entry)  # an archive's subcharts spend its one budget
                found[chart.name] = (chart.metadata.version, not entry.is_dir())
        except ChartError:
            continue
    return found


def _status(dependency: Dependency, present: dict[str, tuple[str, bool]]) -> str:
    if dependency.name not in present:
        return "missing"
    version, packaged = present[dependency.name]
    if dependency.version:
        try:
            allowed = semver.Constraint.parse(dependency.version).allows(
                semver.Version.parse(version))
        except semver.SemverError:
            allowed = dependency.version == version
        if not allowed:
            return "wrong version"
    return "ok" if packaged else "unpacked"


def list_dependencies(chart_dir: str) -> list[DependencyStatus]:
    root = Path(chart_dir)
    chart = load_chart(root)
    present = _present(root)
    return [DependencyStatus(d.name, d.version, d.repository, _status(d, present))
            for d in chart.metadata.dependencies]
