"""``show chart|values|readme|crds|all``: a chart's parts, printed as Helm prints them
(Chart.yaml as Helm's metadata type marshals it: JSON names, sorted, empty fields left
out; values.yaml, the README and CRDs as their author wrote them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyhelm.action.chart_source import ChartLocation, load_chart_ref
from pyhelm.settings import RepoPaths

Part = Literal["chart", "values", "readme", "crds", "all"]
_README_NAMES = ("readme.md", "readme.txt", "readme")  # Helm's, any case


@dataclass(frozen=True, kw_only=True)
class ShowOptions:
    chart: str
    part: Part
    version: str | None = None
    location: ChartLocation | None = None  # --repo and its access
    jsonpath: str = ""  # values: only what this Kubernetes JSONPath selects


def _jsonpath(text: str, values: object) -> str:
    """Helm's --jsonpath: Kubernetes' JSONPath over the chart's values, by helm-engine."""
    import json

    from pyhelm.engine.go_template import execute

    return execute(text, "jsonpath", json.loads(json.dumps(values, default=str))).checked()


def run(options: ShowOptions, paths: RepoPaths | None = None) -> str:
    """The text Helm's ``show`` prints, its newlines included."""
    from pyhelm.engine.functions import toyaml
    from pyhelm.release.codec import metadata_to_dict

    chart = load_chart_ref(options.chart, options.version, paths=paths,
                           location=options.location)
    everything = options.part == "all"
    out: list[str] = []
    if options.part == "chart" or everything:
        metadata = metadata_to_dict(chart.metadata)
        if "type" not in chart.raw_metadata:  # pyhelm's model defaults it; Helm's leaves it
            metadata.pop("type", None)
        for dependency in metadata.get("dependencies", ()):
            dependency.setdefault("repository", "")  # never omitted by Helm's type
        # Helm's YAML writer also folds strings past 80 columns and double-quotes; this
        # one does neither (a difference in bytes, not in what is read back)
        out.append(toyaml(metadata) + "\n\n")
    if options.part == "values" and options.jsonpath:
        out.append(_jsonpath(options.jsonpath, chart.values))
    elif options.part == "values" or everything:
        out.append(("---\n" if everything else "")
                   + chart.raw_values.decode("utf-8", "replace") + "\n")
    readme = next((f for f in chart.files
                   if f.name.lower() in _README_NAMES and "/" not in f.name), None)
    if readme is not None and (options.part == "readme" or everything):
        out.append(("---\n" if everything else "")
                   + readme.data.decode("utf-8", "replace") + "\n")
    if options.part == "crds" or everything:
        for crd in chart.crds:
            text = crd.data.decode("utf-8", "replace")
            out.append(("" if text.startswith("---") else "---\n") + text + "\n")
    return "".join(out)
