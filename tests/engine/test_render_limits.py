"""A Jinja2 chart's render is bounded whatever its templates do (issue 22, items 2 to 4):
time even in loops that call nothing, memory in single expressions, and output across
all templates. Each limit stops with one line naming the limit and the template."""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from pyhelm.chart.model import Chart, ChartFile, ChartMetadata
from pyhelm.chart.prepare import prepare
from pyhelm.engine.release_info import ReleaseContext
from pyhelm.engine.render import render
from pyhelm.engine.sandbox import RenderLimits
from pyhelm.errors import RenderError

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{{ 1 }}\ndata:\n  x: "


def _render(templates: dict[str, str], **limits: Any) -> Any:
    chart = Chart(ChartMetadata("v2", "t", "0.1.0"), values={"items": list(range(3000))},
                  templates=tuple(ChartFile(f"templates/{name}", text.encode())
                                  for name, text in sorted(templates.items())))
    return render(prepare(chart, {}), release=ReleaseContext("rel", "ns"),
                  limits=RenderLimits(**limits))


@pytest.mark.parametrize("body", [
    # a nested loop over a list calls nothing: the per-call clock check never ran
    "{% for i in Values['items'] %}{% for j in Values['items'] %}{% for k in Values['items'] "
    "%}{% endfor %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
])
def test_time_is_bounded_in_loops_that_call_nothing(body: str) -> None:
    started = time.monotonic()
    with pytest.raises(RenderError) as raised:
        _render({"cm.yaml": HEAD + "'" + body + "'\n"}, max_seconds=1.0)
    assert time.monotonic() - started < 10
    assert str(raised.value).startswith("t/templates/cm.yaml")
    assert "rendering took longer than 1s" in str(raised.value)


@pytest.mark.parametrize("expression", [
    "'%0500000000d' % 1", "'%.500000000f' % 1.5", "'a'.center(500000000)",
    "'a'.ljust(500000000)", "'7'.zfill(500000000)", "'x'|indent(500000000)",
    "'x'|nindent(500000000)", "'x'|center(500000000)", "'%0500000000d'|format(1)",
    "('a'*100).replace('a','b'*6000000)", "'{:>500000000}'.format(1)",
    "[1]*60000000", "((10**1000)**1000)**1000", "('\\t'*1000000).expandtabs(1000)",
])
def test_one_expression_cannot_allocate_gigabytes(expression: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RenderError, match=r"t/templates/cm.yaml:\d+: sandbox: .*(more than|"
                                          r"larger than)"):
        _render({"cm.yaml": HEAD + "{{ " + expression + " }}\n"})
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200


def test_output_is_bounded_across_templates() -> None:
    """Six templates of 20 KiB each under a 64 KiB cap: each alone would pass."""
    big = HEAD + "'{{ 'x' * 20000 }}'\n"
    with pytest.raises(RenderError, match="the chart's output is larger than 65536 bytes"):
        _render({f"t{n}.yaml": big.replace("c{{ 1 }}", f"c{n}") for n in range(6)},
                max_output_bytes=65536)


def test_ordinary_templates_are_not_bothered() -> None:
    rendered = _render({"cm.yaml": HEAD + "'{{ '%05d' % 42 }}{{ 'ab'.center(6) }}"
                                          "{{ 'a-b'.replace('-', '+') }}{{ 2 ** 10 }}'\n"})
    assert rendered.manifests[0].obj["data"]["x"] == "00042  ab  a+b1024"
