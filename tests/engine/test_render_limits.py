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
    # a width given as a float or a numeric string, or through map
    "'x'|indent(1e12)", "'x'|indent('500000000')", "['']|map('indent', 1e10)|list",
    # text made of one string shared many times (a list holds references, not copies)
    "('y'*60000000).join(['a']*1000)", "(['a']*1000)|join('y'*60000000)",
    "['y'*60000000]*1000", "(['y'*60000000]*1000)|string", "(['y'*60000000]*1000) ~ ''",
    "'%s' % [['y'*60000000]*1000]", "'{}'.format(['y'*60000000]*1000)",
    "toyaml(['y'*60000000]*1000)", "(['y'*60000000]*1000)|tojson",
    # widths taken from arguments, widths added up, arguments used many times
    "'%*d' % (10**9, 1)", "'{:{}}'.format('x', 10**9)", "('{0:0>60000000}'*80).format(1)",
    "('%060000000d'*80) % ((1,)*80)", "('%s'*1000000) % (('y'*60000000,)*1000000)",
    "('%(a)s'*1000000) % {'a': 'y'*60000}", "('{0}'*1000000).format('y'*60000)",
    "('{a}'*1000000).format_map({'a': 'y'*60000})",
    # filters that multiply their input
    "'x'|replace('x','y'*1000000)|replace('y','z'*1000000)", "[1]|batch(10**9, 0)|list",
    "[1]|slice(10**8)|list", "('y'*60000000)|list",
])
def test_one_expression_cannot_allocate_gigabytes(expression: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RenderError, match=r"t/templates/cm.yaml:\d+: sandbox: .*(more than|"
                                          r"larger than)"):
        _render({"cm.yaml": HEAD + "{{ " + expression + " }}\n"})
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200


@pytest.mark.parametrize("body", [
    "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n-1) }}{% endif %}{% endmacro %}"
    "{{ d('x'*1000000, 13) }}",
    "{% set ns = namespace(s='x'*1000000) %}{% for i in range(40) %}"
    "{% set ns.s = '{}{}'.format(ns.s, ns.s) %}{% endfor %}",
    "{% set ns = namespace(s='x'*1000000) %}{% for i in range(40) %}"
    "{% set ns.s = '%s%s' % (ns.s, ns.s) %}{% endfor %}",
    "{% set ns = namespace(s='x'*1000000) %}{% for i in range(40) %}"
    "{% set ns.s = [ns.s, ns.s]|join %}{% endfor %}",
    "{% set ns = namespace(l=['x'*1000]) %}{% for i in range(40) %}"
    "{% set ns.l = ns.l + ns.l %}{% endfor %}",
])
def test_memory_is_bounded_when_a_template_doubles_a_value(body: str) -> None:
    """Each step is small and allowed; the steps together would take gigabytes."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RenderError, match=r"t/templates/cm.yaml.*(more than \d+ (characters|"
                                          r"items)|more than 128 MiB of memory)"):
        _render({"cm.yaml": HEAD + "'" + body + "'\n"}, max_memory_bytes=128 * 2**20)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 400


def test_memory_is_bounded_in_loops_that_only_collect() -> None:
    """No single operation is large: only the watchdog sees the growth."""
    body = ("{% set ns = namespace(l=[]) %}{% for i in range(100) %}"
            "{% set ns.l = ns.l + [('x' * 30000000) ~ i] %}{% endfor %}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(RenderError, match="rendering used more than 64 MiB of memory"):
        _render({"cm.yaml": HEAD + "'" + body + "'\n"}, max_memory_bytes=64 * 2**20)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 300


@pytest.mark.parametrize(("expression", "message"), [
    ("['']|map(f)|list", "No filter named Undefined"),
    ("['']|map('nope')|list", "No filter named 'nope'"),
    ("['']|map()|list", "map requires a filter argument"),
])
def test_errors_raised_while_a_lazy_filter_runs_are_one_line(expression: str,
                                                            message: str) -> None:
    with pytest.raises(RenderError, match=f"t/templates/cm.yaml:\\d+: {message}"):
        _render({"cm.yaml": HEAD + "{{ " + expression + " }}\n"})


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
