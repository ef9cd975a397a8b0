"""The rendering engine: context, filters, undefined values, sandbox, errors, order."""

from __future__ import annotations

from typing import Any

import pytest

from pyhelm.chart.model import Chart, ChartFile, ChartMetadata
from pyhelm.chart.prepare import prepare
from pyhelm.engine.manifest import manifest_text
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.engine.render import render
from pyhelm.errors import RenderError
from pyhelm.helm_reference import HELM_VERSION, KUBE_CLIENT_VERSION


def _chart(templates: dict[str, str], values: dict[str, Any] | None = None,
           files: dict[str, str] | None = None) -> Chart:
    return Chart(ChartMetadata("v2", "t", "0.1.0", app_version="1.0"), values=values or {},
                 templates=tuple(ChartFile(f"templates/{n}", s.encode())
                                 for n, s in sorted(templates.items())),
                 files=tuple(ChartFile(n, s.encode()) for n, s in (files or {}).items()))


def _render(templates: dict[str, str], values: dict[str, Any] | None = None, **kw: Any) -> Any:
    return render(prepare(_chart(templates, values, kw.pop("files", None)), {}),
                  release=ReleaseContext("rel", "ns"), **kw)


def _one(source: str, values: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n" + source
    return _render({"cm.yaml": text}, values, **kw).manifests[0].obj["data"]


def test_context_names_follow_helm() -> None:
    data = _one("  r: {{ Release.Name }}/{{ Release.Namespace }}/{{ Release.Revision }}\n"
                "  s: {{ Release.Service }}\n  c: {{ Chart.Name }}-{{ Chart.AppVersion }}\n"
                "  k: {{ Capabilities.KubeVersion.Minor }}\n"
                "  a: {{ Capabilities.APIVersions.has('apps/v1') }}\n"
                "  t: {{ Template.Name }}\n  h: {{ Capabilities.HelmVersion.Version }}\n")
    assert data == {"r": "rel/ns/1", "s": "pyhelm", "c": "t-1.0",
                    "k": int(KUBE_CLIENT_VERSION.split(".")[1]), "a": True,
                    "t": "t/templates/cm.yaml", "h": HELM_VERSION}


def test_mapping_keys_named_like_dict_methods_are_data() -> None:
    data = _one("  i: {{ Values.items | join(',') }}\n  g: {{ Values.get }}\n"
                "{% for k, v in Values.env | items %}\n  {{ k }}: {{ v | quote }}\n{% endfor %}",
                {"items": ["a", "b"], "get": "x", "env": {"A": 1}})
    assert data == {"i": "a,b", "g": "x", "A": "1"}


def test_absent_values_test_false_but_fail_when_printed() -> None:
    data = _one("{% if Values.ingress.enabled %}\n  on: yes\n{% endif %}\n  x: 1\n", {})
    assert data == {"x": 1}
    with pytest.raises(RenderError, match=r"t/templates/cm.yaml:7: Values.image.tag is not "):
        _one("  x: 1\n  t: {{ Values.image.tag }}\n", {"image": {}})


@pytest.mark.parametrize(("expr", "expected"), [
    ("{{ Values.m | toyaml | nindent(4) }}", {"b": 1, "a": "yes"}),
    ("{{ Values.m | tojson | quote }}", '{"a":"yes","b":1}'),
    ("{{ 'hi' | b64enc }}", "aGk="), ("{{ 'aGk=' | b64dec }}", "hi"),
    ("{{ 'abcdef' | trunc(3) }}", "abc"), ("{{ 'a.yaml' | trimsuffix('.yaml') }}", "a"),
    ("{{ 'x' | sha256sum | trunc(8) }}", "2d711642"),
    ("{{ semver_compare('^1.2', '1.5.0') }}", True),
    ("{{ Values.m.a | squote }}", "yes"),
    ("{{ tpl('{{ Release.Name }}-x') }}", "rel-x"),
    ("{{ lookup('v1', 'Secret', 'ns', 'x') | length }}", 0),
    ("{{ (Values.m | tojson | fromjson).b }}", 1),
    ("{{ Values.missing | default('d') }}", "d"), ("{{ '' | default('d', true) }}", "d"),
])
def test_filters(expr: str, expected: Any) -> None:
    data = _one(f"  v: {expr}\n", {"m": {"b": 1, "a": "yes"}})
    assert data["v"] == expected


def test_indent_pads_every_line_like_sprig() -> None:
    data = _one("  v: |\n{{ 'a\\nb' | indent(4) }}\n")
    assert data["v"] == "a\nb\n"


@pytest.mark.parametrize(("source", "message"), [
    ("{{ ''.__class__.__mro__ }}", "not defined"),
    ("{{ cycler.__init__.__globals__ }}", "not defined"),
    ("{{ 'a' * 10**9 }}", "sandbox: repetition"),
    ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    ("{{ fail('boom') }}", "t/templates/cm.yaml:7: boom"),
    ("{{ Values.x | required('x is required') }}", "x is required"),
    ("{% if %}", "syntax error"),
])
def test_sandbox_and_author_errors(source: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        _one(f"  v: 1\n{source}\n")


def test_an_imported_templates_macros_are_called_but_its_str_format_stays_sandboxed() -> None:
    """Macros of an imported template skip the sandbox's generic attribute checks (they
    are most of a large chart's look-ups); anything else it exports does not."""
    helpers = ('{% macro name(x) %}n-{{ x }}{% endmacro %}'
               '{% set fmt = "{0.__class__.__mro__}".format %}')
    head = '{% import "_h.j2" as h %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'
    rendered = _render({"_h.j2": helpers, "cm.yaml": head + "data:\n  v: {{ h.name(1) }}\n"})
    assert rendered.manifests[0].obj["data"] == {"v": "n-1"}
    with pytest.raises(RenderError, match=r"__class__\.__mro__ is not defined"):
        _render({"_h.j2": helpers, "cm.yaml": head + "data:\n  v: {{ h.fmt('x') }}\n"})


def test_output_cap() -> None:
    from pyhelm.engine.sandbox import RenderLimits

    with pytest.raises(RenderError, match="output is larger"):
        _one("{% for i in range(5000) %}  k{{ i }}: {{ 'x' * 100 }}\n{% endfor %}",
             limits=RenderLimits(max_output_bytes=10_000))


def test_yaml_error_names_template_line_and_shows_context() -> None:
    with pytest.raises(RenderError) as info:
        _render({"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                           "data: [1\n  b: 2\n"})
    assert str(info.value).startswith("t/templates/a.yaml: line 6 of the rendered output")
    assert "5| data: [1" in str(info.value)


def test_missing_fields_and_duplicates_are_errors() -> None:
    with pytest.raises(RenderError, match="missing kind"):
        _render({"a.yaml": "apiVersion: v1\nmetadata:\n  name: a\n"})
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
    with pytest.raises(RenderError, match="duplicate resource ConfigMap/a"):
        _render({"a.yaml": doc, "b.yaml": doc})


def test_kind_order_hooks_notes_and_determinism() -> None:
    templates = {
        "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n"
                    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n",
        "hook.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: h\n  annotations:\n"
                     "    pyhelm.sh/hook: pre-install,pre-upgrade\n"
                     "    helm.sh/hook-weight: \"-5\"\n",
        "NOTES.txt": "Installed {{ Release.Name }}",
        "_skip.j2": "{% macro x() %}{% endmacro %}",
    }
    first = _render(templates)
    assert [m.kind for m in first.manifests] == ["Namespace", "Service", "Deployment"]
    assert first.hooks[0].events == ("pre-install", "pre-upgrade")
    assert first.hooks[0].weight == -5
    assert first.notes == "Installed rel"
    assert manifest_text(first.manifests) == manifest_text(_render(templates).manifests)


def test_files_and_capabilities() -> None:
    data = _one("  f: {{ Files.get('conf/a.txt') }}\n  count: {{ Files.glob('conf/*') | length }}\n"
                "  c: {{ Capabilities.APIVersions.has('example.com/v1') }}\n",
                files={"conf/a.txt": "hello", "conf/b.txt": "x"},
                capabilities=Capabilities(extra_api_versions=("example.com/v1",)))
    assert data == {"f": "hello", "count": 2, "c": True}
