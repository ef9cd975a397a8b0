"""Value precedence, Helm's --set grammar, coalescing with subcharts, schema checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyhelm.chart.loader import load_chart
from pyhelm.chart.model import Chart, ChartMetadata
from pyhelm.chart.prepare import prepare
from pyhelm.chart.setparser import parse_set
from pyhelm.chart.values import merge_overrides
from pyhelm.errors import ValuesError

CHARTS = Path(__file__).resolve().parents[2] / "charts"


@pytest.mark.parametrize(("expr", "expected"), [
    ("a.b=1,c=true,d=null", {"a": {"b": 1}, "c": True, "d": None}),
    ("e=1.5,f=0777,g=,h=0,i=-3", {"e": "1.5", "f": "0777", "g": "", "h": 0, "i": -3}),
    ("list={a,b,c}", {"list": ["a", "b", "c"]}),
    ("x.y[2].z=q", {"x": {"y": [None, None, {"z": "q"}]}}),
    ("name=a\\,b,dotted\\.key=v", {"name": "a,b", "dotted.key": "v"}),
    ("a[0]=1,a[1]=2", {"a": [1, 2]}),
    ("big=99999999999999999999", {"big": "99999999999999999999"}),
])
def test_set_grammar(expr: str, expected: dict[str, Any]) -> None:
    assert parse_set(expr, {}) == expected


def test_set_string_json_literal_and_file(tmp_path: Path) -> None:
    assert parse_set("s=true,t=5", {}, kind="string") == {"s": "true", "t": "5"}
    assert parse_set('j={"x":[1,2]},k=3', {}, kind="json") == {"j": {"x": [1, 2]}, "k": 3}
    assert parse_set("lit=a,b=c", {}, kind="literal") == {"lit": "a,b=c"}
    (tmp_path / "f.txt").write_text("content")
    assert parse_set(f"f={tmp_path / 'f.txt'}", {}, kind="file") == {"f": "content"}


@pytest.mark.parametrize(("expr", "message"), [
    ("a", 'key "a" has no value'),
    ("a[x]=1", 'error parsing index: strconv.Atoi: parsing "x": invalid syntax'),
    ("a..b=1", 'key map "a" has no value'), ("list={a,b", "list must terminate with '}'"),
    ("a[70000]=1", "index of 70000 is greater than maximum supported index of 65536"),
])
def test_set_errors_are_helms(expr: str, message: str) -> None:
    with pytest.raises(ValuesError) as error:
        parse_set(expr, {})
    assert str(error.value) == message


def test_precedence_files_then_set_json_set_string_file_literal(tmp_path: Path) -> None:
    first, second = tmp_path / "1.yaml", tmp_path / "2.yaml"
    first.write_text("a: 1\nb: {c: 1, d: 1}\n")
    second.write_text("a: 2\nb: {c: 2}\n")
    merged = merge_overrides([first, second], set_values=["x=set"],
                             set_json_values=['x="json"', 'y="json"'],
                             set_string_values=["y=string"], set_literal_values=["z=lit"])
    assert merged == {"a": 2, "b": {"c": 2, "d": 1}, "x": "set", "y": "string", "z": "lit"}


def test_coalescing_globals_conditions_tags_aliases_and_imports() -> None:
    chart = load_chart(CHARTS / "platform")
    prepared = prepare(chart, {"global": {"team": "a"}})
    assert [s.name for s in prepared.chart.subcharts] == ["frontend", "api"]
    assert prepared.values["api"]["replicas"] == 2  # parent overrides subchart default
    assert prepared.values["api"]["global"] == {"environment": "staging", "team": "a"}
    assert prepared.values["apiEndpoint"] == {"url": "http://api:8080"}
    off = prepare(chart, {"api": {"enabled": False}, "frontend": {"enabled": False}})
    assert off.chart.subcharts == ()
    # a condition that resolves (here the subchart's own default) beats tags, as in Helm
    tagged = prepare(chart, {"tags": {"web": False}})
    assert [s.name for s in tagged.chart.subcharts] == ["frontend", "api"]


def test_tags_decide_when_no_condition_resolves() -> None:
    from pyhelm.chart.model import Dependency

    sub = Chart(ChartMetadata("v2", "sub", "1.0.0"))
    parent = Chart(ChartMetadata("v2", "p", "1.0.0", dependencies=(
        Dependency("sub", "1.0.0", condition="sub.enabled", tags=("extra",)),)),
        subcharts=(sub,))
    assert prepare(parent, {"tags": {"extra": False}}).chart.subcharts == ()
    assert len(prepare(parent, {"tags": {"extra": True}}).chart.subcharts) == 1


def test_null_removes_a_default() -> None:
    chart = Chart(ChartMetadata("v2", "c", "1.0.0"), values={"a": 1, "b": {"c": 2, "d": 3}})
    assert prepare(chart, {"b": {"c": None}}).values["b"] == {"d": 3}


def test_schema_errors_are_all_collected_with_paths_and_no_ref_fetch() -> None:
    schema = (b'{"type":"object","properties":{"n":{"type":"integer"},'
              b'"e":{"type":"string","format":"email"},'
              b'"r":{"$ref":"http://127.0.0.1:9/never.json"}}}')
    chart = Chart(ChartMetadata("v2", "c", "1.0.0"), schema=schema)
    with pytest.raises(ValuesError) as info:
        prepare(chart, {"n": "x", "e": "nope"})
    text = str(info.value)
    assert text.startswith("values don't meet the schema (2 errors)")
    assert "c: values: n: Invalid type. Expected: integer, given: string" in text
    assert "c: values: e: is not a valid 'email'" in text
    with pytest.raises(ValuesError, match="cannot resolve \\$ref"):
        prepare(chart, {"r": 1})


def test_schema_errors_never_print_the_offending_value() -> None:
    schema = (b'{"type":"object","properties":{"secret":{"type":"object","properties":{'
              b'"password":{"type":"string"},"pin":{"type":"string","pattern":"^[0-9]{4}$"},'
              b'"token":{"type":"string","minLength":40},"mode":{"enum":["a","b"]},'
              b'"n":{"type":"integer","maximum":3}},"additionalProperties":false}}}')
    chart = Chart(ChartMetadata("v2", "c", "1.0.0"), schema=schema)
    values = {"secret": {"password": ["S3cr3t"], "pin": "S3cr3t-pin", "token": "S3cr3t-tok",
                         "mode": "S3cr3t-mode", "n": 7342, "extra": "S3cr3t-extra"}}
    with pytest.raises(ValuesError) as info:
        prepare(chart, values)
    text = str(info.value)
    assert "S3cr3t" not in text and "7342" not in text, text
    assert "c: values: secret.password: Invalid type. Expected: string, given: array" in text
    assert "secret.pin: does not match pattern '^[0-9]{4}$'" in text
    assert "secret.token: must be at least 40 characters long" in text
    assert "secret.mode: must be one of the 2 values the schema allows" in text
    assert "secret.n: must be <= 3" in text
    assert "secret: additional properties are not allowed ('extra')" in text


def test_set_index_edits_a_list_from_a_values_file(tmp_path: Path) -> None:
    values_file = tmp_path / "v.yaml"
    values_file.write_text("ports: [80, 443, 8080]\nnested: {keep: 1}\n")
    merged = merge_overrides([str(values_file)], set_values=["ports[1]=8443", "nested.add=2"])
    assert merged == {"ports": [80, 8443, 8080], "nested": {"keep": 1, "add": 2}}


@pytest.mark.parametrize(("section", "shown"), [
    (None, "%!t(<nil>)"), (True, "true"), (5, "%!t(int64=5)"), ("x", "%!t(string=x)"),
    (["a", "b"], "[%!t(string=a) %!t(string=b)]")])
def test_a_subchart_section_that_is_not_a_table_is_helms_type_mismatch(
        section: Any, shown: str) -> None:
    parent = Chart(ChartMetadata("v2", "p", "1.0.0"),
                   subcharts=(Chart(ChartMetadata("v2", "sub", "1.0.0")),))
    with pytest.raises(ValuesError) as error:
        prepare(parent, {"sub": section})
    assert str(error.value) == f"type mismatch on sub: {shown}"
