"""Which engine renders a chart: Jinja2 (pyhelm's native charts) or Helm's Go templates.

Decided per chart, in this order:

1. ``annotations: {pyhelm.sh/engine: jinja2|helm}`` in Chart.yaml (``pyhelm create``
   writes ``jinja2``);
2. otherwise the templates tell: Go-template partials (``_*.tpl``) or Go actions
   (``{{ .Values``, ``{{- $x :=``, ``{{ include "``, ``{{- if``, ``{{ end }}``…) mean
   ``helm``; Jinja2 partials (``_*.j2``) or Jinja2 blocks (``{% … %}``, ``{# … #}``)
   mean ``jinja2``; whichever has more evidence wins;
3. a chart with no template syntax at all (plain YAML) is ``jinja2``: both engines
   print such files unchanged.

A chart tree is one engine: a subchart (or library chart) of the other engine is an
error, since one engine cannot include the other's partials.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pyhelm.errors import ChartError

if TYPE_CHECKING:
    from pyhelm.chart.model import Chart

ANNOTATION = "pyhelm.sh/engine"
JINJA2 = "jinja2"
HELM = "helm"
ENGINES = (JINJA2, HELM)

_GO_ACTION = re.compile(
    r"\{\{-?\s*(?:\.|\$|/\*|(?:include|template|define|if|range|with|end|else|block|"
    r"toYaml|tpl|printf|default|quote|required|fail|nindent|indent|not|eq|ne|and|or)\b)")
_JINJA_BLOCK = re.compile(r"\{%-?\s|\{#")


def chart_engine(chart: Chart) -> str:
    """The engine of one chart (its subcharts are not looked at)."""
    return _declared_or_guessed(chart) or JINJA2


def _declared_or_guessed(chart: Chart) -> str | None:
    """The declared engine, else the one the templates show, else None (plain YAML)."""
    return _decide(chart.name, chart.metadata.annotations.get(ANNOTATION),
                   ((t.name, t.data) for t in chart.templates))


def _decide(chart_name: str, declared: object, templates: Iterable[tuple[str, bytes]]
            ) -> str | None:
    if declared is not None:
        if declared not in ENGINES:
            raise ChartError(f"{chart_name}/Chart.yaml: annotation {ANNOTATION} is "
                             f"{declared!r}; use one of {', '.join(ENGINES)}")
        return str(declared)
    helm = jinja = 0
    for name, data in templates:
        base = name.rsplit("/", 1)[-1]
        if base.startswith("_") and base.endswith(".tpl"):
            helm += 10
        elif base.startswith("_") and base.endswith(".j2"):
            jinja += 10
        text = data.decode("utf-8", "replace")
        helm += len(_GO_ACTION.findall(text))
        jinja += len(_JINJA_BLOCK.findall(text))
    if helm == jinja == 0:
        return None
    return HELM if helm > jinja else JINJA2


def _tree(chart: Chart, path: str) -> Iterator[tuple[Chart, str]]:
    yield chart, path
    for sub in chart.subcharts:
        yield from _tree(sub, f"{path}/charts/{sub.name}")


def tree_engine(chart: Chart) -> str:
    """The engine of a whole chart tree; a tree that mixes engines is refused."""
    engine = chart_engine(chart)
    for sub, path in _tree(chart, chart.name):
        other = _declared_or_guessed(sub) if sub is not chart else None
        if other is not None and other != engine:
            raise ChartError(f"{path}: a {other} subchart in a {engine} chart: a chart tree "
                             f"renders with one engine (set {ANNOTATION} in Chart.yaml if "
                             "the guess is wrong)")
    return engine


def path_engine(path: Path) -> str:
    """The engine of the chart tree at a directory or archive, without building the chart
    model (``template`` of a Helm chart never needs it): Chart.yaml is parsed only when it
    names an engine, and only templates are read."""
    if path.is_dir():
        return files_engine(_chart_files(path), path.name)
    from pyhelm.chart.archive import read_archive

    return files_engine(read_archive(path.read_bytes(), str(path)), path.name)


def files_engine(files: Mapping[str, bytes], name: str) -> str:
    """``tree_engine`` for a chart given as ``{relative path: bytes}``."""
    roots = sorted({""} | {f[: f.index("/templates/") + 1] for f in files
                            if "/templates/" in f and f.startswith("charts/")}, key=len)
    engines: dict[str, str | None] = {}
    for root in roots:
        templates = [(f[len(root):], data) for f, data in files.items()
                     if f.startswith(root + "templates/")]
        engines[root] = _decide(f"{name}/{root}".rstrip("/"),
                                _declared(files.get(root + "Chart.yaml"), f"{name}/{root}"),
                                templates)
    top = engines.pop("") or JINJA2
    for root, engine in engines.items():
        if engine is not None and engine != top:
            raise ChartError(f"{name}/{root.rstrip('/')}: a {engine} subchart in a {top} "
                             f"chart: a chart tree renders with one engine (set {ANNOTATION} "
                             "in Chart.yaml if the guess is wrong)")
    return top


def _declared(chart_yaml: bytes | None, where: str) -> object:
    if not chart_yaml or ANNOTATION.encode() not in chart_yaml:
        return None
    from pyhelm.chart.values import parse_mapping

    annotations = parse_mapping(chart_yaml, f"{where}Chart.yaml", ChartError).get("annotations")
    return annotations.get(ANNOTATION) if isinstance(annotations, dict) else None


_MAX_SCANNED = 10_000


def _chart_files(root: Path) -> dict[str, bytes]:
    """Chart.yaml and templates of a chart directory and its unpacked subcharts."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel + "/"
        dirnames[:] = [d for d in dirnames if _scanned(rel + d + "/")]
        for filename in filenames:
            name = rel + filename
            if filename == "Chart.yaml" or "templates/" in name:
                files[name] = (Path(dirpath) / filename).read_bytes()
                if len(files) > _MAX_SCANNED:
                    raise ChartError(f"{root}: more than {_MAX_SCANNED} chart files")
    return files


def _scanned(rel_dir: str) -> bool:
    """Only templates/ and charts/<name>/ trees hold what decides the engine."""
    parts = rel_dir.rstrip("/").split("/")
    while parts[:2] and parts[0] == "charts":
        parts = parts[2:]
    return not parts or parts[0] == "templates"
