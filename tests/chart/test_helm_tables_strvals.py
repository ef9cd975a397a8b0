"""Helm 4.3.1's own tables for the ``--set`` family (pkg/strvals: parser_test.go,
literal_parser_test.go, fuzz_test.go), ported as data against ``pyhelm.chart.setparser``.

Each case is named after the Go test it comes from (``TestParseSet/<expression>``).
Helm's Parse/ParseInto, ParseString/ParseIntoString, ParseFile/ParseIntoFile, ParseJSON
and ParseLiteral/ParseLiteralInto are ``parse_set`` with kind set, string, file, json and
literal (``Parse*`` into an empty map, ``ParseInto*`` into a given one).

Left out: TestToYAML (strvals.ToYAML, which Helm itself never calls: pyhelm has none).
"""

from __future__ import annotations

import contextlib
import copy
import random
from typing import Any

import pytest

from pyhelm.chart.setparser import MAX_INDEX, MAX_NESTED_NAME_LEVEL, parse_set, set_index
from pyhelm.errors import ValuesError

ERROR = object()  # the expression is refused

# TestSetIndex: (name, initial, index, value, expected list or ERROR)
SET_INDEX = [
    ("short", [0, 1], 2, 2, [0, 1, 2]),
    ("equal", [0, 1], 1, 2, [0, 2]),
    ("long", [0, 1, 2, 3, 4, 5], 3, 4, [0, 1, 2, 4, 4, 5]),
    ("negative", [0, 1, 2, 3, 4, 5], -1, 4, ERROR),
    ("large", [0, 1, 2, 3, 4, 5], MAX_INDEX + 1, 4, ERROR),
]


@pytest.mark.parametrize(("name", "initial", "index", "value", "expected"), SET_INDEX,
                         ids=[f"TestSetIndex/{c[0]}" for c in SET_INDEX])
def test_set_index(name: str, initial: list[Any], index: int, value: int,
                   expected: Any) -> None:
    items = list(initial)
    if expected is ERROR:
        with pytest.raises(ValuesError):
            set_index(items, index, value)
        assert items == initial
    else:
        assert set_index(items, index, value) == expected


# TestParseSet (Helm's Parse): expression -> values, or ERROR
PARSE_SET: list[tuple[str, Any]] = [
    ("name1=null,f=false,t=true", {"name1": None, "f": False, "t": True}),
    ("name1=value1", {"name1": "value1"}),
    ("name1=value1,name2=value2", {"name1": "value1", "name2": "value2"}),
    ("name1=value1,name2=value2,", {"name1": "value1", "name2": "value2"}),
    ("name1=value1,,,,name2=value2,", ERROR),
    ("name1=,name2=value2", {"name1": "", "name2": "value2"}),
    ("leading_zeros=00009", {"leading_zeros": "00009"}),
    ("zero_int=0", {"zero_int": 0}),
    ("long_int=1234567890", {"long_int": 1234567890}),
    ("boolean=true", {"boolean": True}),
    ("is_null=null", {"is_null": None}),
    ("name1,name2=", ERROR),
    ("name1,name2=value2", ERROR),
    ("name1,name2=value2\\", ERROR),
    ("name1,name2", ERROR),
    ("name1=one\\,two,name2=three\\,four", {"name1": "one,two", "name2": "three,four"}),
    ("name1=one\\=two,name2=three\\=four", {"name1": "one=two", "name2": "three=four"}),
    ("name1=one two three,name2=three two one",
     {"name1": "one two three", "name2": "three two one"}),
    ("outer.inner=value", {"outer": {"inner": "value"}}),
    ("outer.middle.inner=value", {"outer": {"middle": {"inner": "value"}}}),
    ("outer.inner1=value,outer.inner2=value2", {"outer": {"inner1": "value", "inner2": "value2"}}),
    ("outer.inner1=value,outer.middle.inner=value",
     {"outer": {"inner1": "value", "middle": {"inner": "value"}}}),
    ("name1.name2", ERROR),
    ("name1.name2,name1.name3", ERROR),
    ("name1.name2=", {"name1": {"name2": ""}}),
    ("name1.=name2", ERROR),
    ("name1.,name2", ERROR),
    ("name1={value1,value2}", {"name1": ["value1", "value2"]}),
    ("name1={value1,value2},name2={value1,value2}",
     {"name1": ["value1", "value2"], "name2": ["value1", "value2"]}),
    ("name1={1021,902}", {"name1": [1021, 902]}),
    ("name1.name2={value1,value2}", {"name1": {"name2": ["value1", "value2"]}}),
    ("name1={1021,902", ERROR),
    ("list[0]=foo", {"list": ["foo"]}),
    ("list[0].foo=bar", {"list": [{"foo": "bar"}]}),
    ("list[0].foo=bar,list[0].hello=world", {"list": [{"foo": "bar", "hello": "world"}]}),
    ("list[0].foo=bar,list[-30].hello=world", ERROR),
    ("list[0]=foo,list[1]=bar", {"list": ["foo", "bar"]}),
    ("list[0]=foo,list[1]=bar,", {"list": ["foo", "bar"]}),
    ("list[0]=foo,list[3]=bar", {"list": ["foo", None, None, "bar"]}),
    ("list[0]=foo,list[-20]=bar", ERROR),
    ("illegal[0]name.foo=bar", ERROR),
    ("noval[0]", {"noval": []}),
    ("noval[0]=", {"noval": [""]}),
    ("nested[0][0]=1", {"nested": [[1]]}),
    ("nested[1][1]=1", {"nested": [None, [None, 1]]}),
    ("name1.name2[0].foo=bar,name1.name2[1].foo=bar",
     {"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}),
    ("name1.name2[1].foo=bar,name1.name2[0].foo=bar",
     {"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}}),
    ("name1.name2[1].foo=bar", {"name1": {"name2": [None, {"foo": "bar"}]}}),
    ("]={}].", ERROR),
]
# TestParseSet, its string table (Helm's ParseString)
PARSE_SET_STRING = [
    ("long_int_string=1234567890", {"long_int_string": "1234567890"}),
    ("boolean=true", {"boolean": "true"}),
    ("is_null=null", {"is_null": "null"}),
    ("zero=0", {"zero": "0"}),
]


def _check(expr: str, expected: Any, kind: Any, into: dict[str, Any] | None = None) -> None:
    if expected is ERROR:
        with pytest.raises(ValuesError):
            parse_set(expr, {} if into is None else into, kind=kind)
    else:
        assert parse_set(expr, {} if into is None else into, kind=kind) == expected


@pytest.mark.parametrize(("expr", "expected"), PARSE_SET,
                         ids=[f"TestParseSet/{c[0]}" for c in PARSE_SET])
def test_parse_set(expr: str, expected: Any) -> None:
    _check(expr, expected, "set")


@pytest.mark.parametrize(("expr", "expected"), PARSE_SET_STRING,
                         ids=[f"TestParseSet/string/{c[0]}" for c in PARSE_SET_STRING])
def test_parse_set_string(expr: str, expected: Any) -> None:
    _check(expr, expected, "string")


# TestParseInto and TestParseLiteralInto: (first, second expression, given, expected)
OLD_LIST = {"listOuter": [[[{"exited": "old"}]]]}
PARSE_INTO: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("outer.inner1=value1,outer.inner3=value3,outer.inner4=4", "",
     {"outer": {"inner1": "overwrite", "inner2": "value2"}},
     {"outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}}),
    ("listOuter[0][0].type=listValue", "listOuter[0][0].status=alive", {},
     {"listOuter": [[{"type": "listValue", "status": "alive"}]]}),
    ("listOuter[0][0].type=listValue", "listOuter[1][0].status=alive", {},
     {"listOuter": [[{"type": "listValue"}], [{"status": "alive"}]]}),
    ("listOuter[0][1][0].type=listValue", "listOuter[0][0][1].status=alive", OLD_LIST,
     {"listOuter": [[[{"exited": "old"}, {"status": "alive"}], [{"type": "listValue"}]]]}),
]
# a literal value is the whole rest of the expression
LITERAL_INTO = [(PARSE_INTO[0][0], "", PARSE_INTO[0][2],
                 {"outer": {"inner1": "value1,outer.inner3=value3,outer.inner4=4",
                            "inner2": "value2"}}), *PARSE_INTO[1:]]


def _into(first: str, second: str, given: dict[str, Any], kind: Any) -> dict[str, Any]:
    values = copy.deepcopy(given)
    for expr in (first, second):
        if expr:
            parse_set(expr, values, kind=kind)
    return values


@pytest.mark.parametrize(("first", "second", "given", "expected"), PARSE_INTO,
                         ids=[f"TestParseInto/{i}" for i in range(len(PARSE_INTO))])
def test_parse_into(first: str, second: str, given: dict[str, Any],
                    expected: dict[str, Any]) -> None:
    assert _into(first, second, given, "set") == expected


@pytest.mark.parametrize(("first", "second", "given", "expected"), LITERAL_INTO,
                         ids=[f"TestParseLiteralInto/{i}" for i in range(len(LITERAL_INTO))])
def test_parse_literal_into(first: str, second: str, given: dict[str, Any],
                            expected: dict[str, Any]) -> None:
    assert _into(first, second, given, "literal") == expected


def test_parse_into_string() -> None:
    """TestParseIntoString"""
    values = {"outer": {"inner1": "overwrite", "inner2": "value2"}}
    parse_set("outer.inner1=1,outer.inner3=3", values, kind="string")
    assert values == {"outer": {"inner1": "1", "inner2": "value2", "inner3": "3"}}


# TestParseJSON: (expression, given, expected or ERROR)
PARSE_JSON: list[tuple[str, dict[str, Any], Any]] = [
    ('outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true"',
     {"outer": {"inner1": "overwrite", "inner2": "value2"}},
     {"outer": {"inner1": "1", "inner2": "value2", "inner3": 3, "inner4": True,
                "inner5": "true"}}),
    ('outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],'
     'outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5=[{"A":"1","B":2,"C":[1,2,3]}]',
     {"outer": {"inner1": {"x": "overwrite"}, "inner2": "value2", "inner3": ["overwrite"]}},
     {"outer": {"inner1": {"a": "1", "b": 2, "c": [1, 2, 3]}, "inner2": "value2",
                "inner3": ["new value 1", "new value 2"],
                "inner4": {"aa": "1", "bb": 2, "cc": [1, 2, 3]},
                "inner5": [{"A": "1", "B": 2, "C": [1, 2, 3]}]}}),
    ('outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null',
     {"outer": {"inner1": {"x": "overwrite"}, "inner2": "value2"}},
     {"outer": {"inner1": None, "inner2": "value2",
                "inner3": {"aa": "1", "bb": 2, "cc": [1, None, 3]}}}),
    ('outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],'
     'outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5={"A":"1","B":2,"C":[1,2,3]}]',
     {}, ERROR),
]


@pytest.mark.parametrize(("expr", "given", "expected"), PARSE_JSON,
                         ids=[f"TestParseJSON/{c[0]}" for c in PARSE_JSON])
def test_parse_json(expr: str, given: dict[str, Any], expected: Any) -> None:
    _check(expr, expected, "json", copy.deepcopy(given))


def _path1(path: str) -> str:
    assert path == "path1"
    return "value1"


def test_parse_file() -> None:
    """TestParseFile"""
    assert parse_set("name1=path1", {}, kind="file", read_file=_path1) == {"name1": "value1"}


def test_parse_into_file() -> None:
    """TestParseIntoFile"""
    values: dict[str, Any] = {}
    parse_set("name1=path1", values, kind="file", read_file=_path1)
    assert values == {"name1": "value1"}


NESTED = ".".join(f"name{i}" for i in range(1, MAX_NESTED_NAME_LEVEL + 3)) + "=value"
NESTED_ERROR = "value name nested level is greater than maximum supported nested level of 30"


@pytest.mark.parametrize("kind", ["set", "literal"],
                         ids=["TestParseSetNestedLevels", "TestParseLiteralNestedLevels"])
def test_nested_levels(kind: Any) -> None:
    assert parse_set("outer.middle.inner=value", {}, kind=kind) == {
        "outer": {"middle": {"inner": "value"}}}
    with pytest.raises(ValuesError) as error:
        parse_set(NESTED, {}, kind=kind)
    assert str(error.value) == NESTED_ERROR


# TestParseLiteral (Helm's ParseLiteral)
PARSE_LITERAL: list[tuple[str, Any]] = [
    ("name", ERROR),
    ("name=", {"name": ""}),
    ("name=value", {"name": "value"}),
    ("long_int_string=1234567890", {"long_int_string": "1234567890"}),
    ("boolean=true", {"boolean": "true"}),
    ("is_null=null", {"is_null": "null"}),
    ("zero=0", {"zero": "0"}),
    ("name1=null,name2=value2", {"name1": "null,name2=value2"}),
    ("name1=value,,,tail", {"name1": "value,,,tail"}),
    ("leading_zeros=00009", {"leading_zeros": "00009"}),
    ("name=one two three", {"name": "one two three"}),
    ("outer.inner=value", {"outer": {"inner": "value"}}),
    ("outer.middle.inner=value", {"outer": {"middle": {"inner": "value"}}}),
    ("name1.name2", ERROR),
    ("name1.name2=", {"name1": {"name2": ""}}),
    ("name1.=name2", ERROR),
    ("name1.,name2", ERROR),
    ("name1={value1,value2}", {"name1": "{value1,value2}"}),
    ("list[0]=foo", {"list": ["foo"]}),
    ("list[0].foo=bar", {"list": [{"foo": "bar"}]}),
    ("list[-30].hello=world", ERROR),
    ("list[3]=bar", {"list": [None, None, None, "bar"]}),
    ("illegal[0]name.foo=bar", ERROR),
    ("noval[0]", {"noval": []}),
    ("noval[0]=", {"noval": [""]}),
    ("nested[0][0]=1", {"nested": [["1"]]}),
    ("nested[1][1]=1", {"nested": [None, [None, "1"]]}),
    ("name1.name2[0].foo=bar", {"name1": {"name2": [{"foo": "bar"}]}}),
    ("name1.name2[1].foo=bar", {"name1": {"name2": [None, {"foo": "bar"}]}}),
    ("]={}].", {"]": "{}]."}),
    ("name=val,val", {"name": "val,val"}),
    ("name=val.val", {"name": "val.val"}),
    ("name=val=val", {"name": "val=val"}),
    ("name=val$val", {"name": "val$val"}),
    ("name=(value", {"name": "(value"}),
    ("name=value)", {"name": "value)"}),
    ("name=(value)", {"name": "(value)"}),
    ("name={value", {"name": "{value"}),
    ("name=value}", {"name": "value}"}),
    ("name={value}", {"name": "{value}"}),
    ("name={value1,value2}", {"name": "{value1,value2}"}),
    ("name=val\\val", {"name": "val\\val"}),
    ("name=val\\\\val", {"name": "val\\\\val"}),
    ("name=val\\\\\\val", {"name": "val\\\\\\val"}),
    ("name={val,.?*v\\0a!l)some", {"name": "{val,.?*v\\0a!l)some"}),
    ("name=em%GT)tqUDqz,i-\\h+Mbqs-!:.m\\\\rE=mkbM#rR}@{-k@",
     {"name": "em%GT)tqUDqz,i-\\h+Mbqs-!:.m\\\\rE=mkbM#rR}@{-k@"}),
]


@pytest.mark.parametrize(("expr", "expected"), PARSE_LITERAL,
                         ids=[f"TestParseLiteral/{c[0]}" for c in PARSE_LITERAL])
def test_parse_literal(expr: str, expected: Any) -> None:
    _check(expr, expected, "literal")


@pytest.mark.parametrize("kind", ["set", "string", "json", "literal"])
def test_fuzz_parse(kind: Any) -> None:
    """FuzzParse (no seed corpus in Helm): whatever the text, parsing ends with values
    or a ValuesError, never another exception."""
    generator = random.Random(4_3_1)
    alphabet = "ab0-1=.,[]{}\\ \"'nul:"
    for _ in range(3000):
        expr = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 14)))
        with contextlib.suppress(ValuesError):
            parse_set(expr, {}, kind=kind)
