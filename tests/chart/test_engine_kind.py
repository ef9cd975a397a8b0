"""Which engine renders a chart: the annotation first, then the templates' syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyhelm.chart.engine_kind import HELM, JINJA2, chart_engine, tree_engine
from pyhelm.chart.loader import load_chart, load_files
from pyhelm.errors import ChartError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "helm-charts"


def _chart(templates: dict[str, str], annotation: str | None = None,
           subcharts: dict[str, dict[str, str]] | None = None) -> dict[str, bytes]:
    meta = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
    if annotation:
        meta += f"annotations:\n  pyhelm.sh/engine: {annotation}\n"
    files = {"Chart.yaml": meta.encode()}
    files.update({f"templates/{n}": t.encode() for n, t in templates.items()})
    for sub, sub_templates in (subcharts or {}).items():
        sub_meta = f"apiVersion: v2\nname: {sub}\nversion: 1.0.0\n"
        files[f"charts/{sub}/Chart.yaml"] = sub_meta.encode()
        files.update({f"charts/{sub}/templates/{n}": t.encode()
                      for n, t in sub_templates.items()})
    return files


# charts that Helm itself must install too, so written in Go templates and saying so
HELM_CHARTS = {"pyhelm-controller"}


@pytest.mark.parametrize("path", sorted(p.parent for p in (ROOT / "charts").glob("*/Chart.yaml")))
def test_every_example_chart_is_jinja2(path: Path) -> None:
    chart = load_chart(path)
    if path.name in HELM_CHARTS:
        assert chart.metadata.annotations.get("pyhelm.sh/engine") == HELM
        assert tree_engine(chart) == HELM
        return
    assert tree_engine(chart) == JINJA2


@pytest.mark.parametrize("path", sorted(p.parent for p in CORPUS.glob("*/Chart.yaml")))
def test_every_community_chart_is_helm(path: Path) -> None:
    assert tree_engine(load_chart(path)) == HELM


def test_pyhelm_create_scaffold_declares_jinja2() -> None:
    chart = load_chart(ROOT / "pyhelm" / "action" / "scaffold")
    assert chart.metadata.annotations["pyhelm.sh/engine"] == JINJA2


@pytest.mark.parametrize(("templates", "engine"), [
    ({"cm.yaml": "name: {{ .Values.name }}"}, HELM),
    ({"cm.yaml": "{{- $x := 1 }}{{ include \"a\" . }}"}, HELM),
    ({"_helpers.tpl": "", "cm.yaml": "kind: ConfigMap"}, HELM),
    ({"cm.yaml": "name: {{ Values.name }}"}, JINJA2),
    ({"cm.yaml": "{% if Values.x %}a{% endif %}"}, JINJA2),
    ({"_macros.j2": "", "cm.yaml": "kind: ConfigMap"}, JINJA2),
    ({"cm.yaml": "kind: ConfigMap"}, JINJA2),
])
def test_syntax_decides_without_an_annotation(templates: dict[str, str], engine: str) -> None:
    assert chart_engine(load_files(_chart(templates), "c")) == engine


def test_the_annotation_wins_over_the_syntax() -> None:
    chart = load_files(_chart({"cm.yaml": "{{ .Values.x }}"}, annotation="jinja2"), "c")
    assert chart_engine(chart) == JINJA2


def test_an_unknown_engine_is_refused() -> None:
    chart = load_files(_chart({}, annotation="mustache"), "c")
    with pytest.raises(ChartError, match=r"annotation pyhelm\.sh/engine is 'mustache'"):
        chart_engine(chart)


def test_a_tree_mixing_engines_is_refused_in_one_line() -> None:
    chart = load_files(_chart({"cm.yaml": "{{ .Values.x }}"},
                              subcharts={"sub": {"cm.yaml": "{% if x %}{% endif %}"}}), "c")
    with pytest.raises(ChartError) as caught:
        tree_engine(chart)
    assert str(caught.value).startswith("c/charts/sub: a jinja2 subchart in a helm chart")
    assert "\n" not in str(caught.value)


def test_a_plain_yaml_subchart_goes_with_either_engine() -> None:
    chart = load_files(_chart({"cm.yaml": "{{ .Values.x }}"},
                              subcharts={"sub": {"cm.yaml": "kind: ConfigMap"}}), "c")
    assert tree_engine(chart) == HELM
