"""``show chart|values|readme|crds|all``: a chart's parts as its author wrote them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyhelm import yamlio
from pyhelm.action.chart_source import load_chart_ref
from pyhelm.settings import RepoPaths

Part = Literal["chart", "values", "readme", "crds", "all"]
_README_NAMES = ("README.md", "README.txt", "README", "readme.md")


@dataclass(frozen=True, kw_only=True)
class ShowOptions:
    chart: str
    part: Part
    version: str | None = None


def run(options: ShowOptions, paths: RepoPaths | None = None) -> str:
    chart = load_chart_ref(options.chart, options.version, paths=paths)
    chart_text = yamlio.dump(dict(chart.raw_metadata), sort_keys=False)
    values_text = chart.raw_values.decode("utf-8", "replace")
    readme = next((f.data.decode("utf-8", "replace") for name in _README_NAMES
                   if (f := chart.file(name))), "")
    crds = "".join(f"---\n{f.data.decode('utf-8', 'replace').strip()}\n" for f in chart.crds)
    if options.part == "chart":
        return chart_text
    if options.part == "values":
        return values_text
    if options.part == "readme":
        return readme
    if options.part == "crds":
        return crds
    return "\n---\n".join(p.rstrip("\n") for p in (chart_text, values_text, readme, crds)
                          if p.strip()) + "\n"
