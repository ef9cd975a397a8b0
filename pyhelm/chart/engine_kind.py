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

import re
from collections.abc import Iterator

from pyhelm.chart.model import Chart
from pyhelm.errors import ChartError

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
    declared = chart.metadata.annotations.get(ANNOTATION)
    if declared is not None:
        if declared not in ENGINES:
            raise ChartError(f"{chart.name}/Chart.yaml: annotation {ANNOTATION} is "
                             f"{declared!r}; use one of {', '.join(ENGINES)}")
        return declared
    helm = jinja = 0
    for template in chart.templates:
        base = template.name.rsplit("/", 1)[-1]
        if base.startswith("_") and base.endswith(".tpl"):
            helm += 10
        elif base.startswith("_") and base.endswith(".j2"):
            jinja += 10
        text = template.data.decode("utf-8", "replace")
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
