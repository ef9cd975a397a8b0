"""Helm 4.3.1's own tables for values, ported as data: coalescing chart defaults with
user values (pkg/chart/common/util: coalesce_test.go, values_test.go) and reading and
merging the user's values (pkg/cli/values: options_test.go).

Each case is named after the Go test it comes from. CoalesceValues/MergeValues are
``pyhelm.chart.prepare.coalesce_values`` (``merge=True``), CoalesceTables/MergeTables
``pyhelm.chart.values.coalesce_tables``, readFile ``read_values_text`` and
Options.MergeValues ``ValueOptions.merged``.

Left out, each for its reason:
- TestConcatPrefix: Go's helper that joins a path for the warnings, tested through
  TestCoalesceValuesWarnings instead;
- TestReadFile/remote file with custom scheme - success and multiple providers -
  correct selection: getter plugins for other URL schemes (oci://, custom://), which
  pyhelm does not load for values.
"""

from __future__ import annotations

import io
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from pyhelm.action.values_options import ValueOptions
from pyhelm.chart import values as values_module
from pyhelm.chart.model import Chart, ChartMetadata
from pyhelm.chart.prepare import coalesce_values, prepare
from pyhelm.chart.values import coalesce_tables, parse_values, read_values_text
from pyhelm.engine.release_info import Capabilities, ReleaseContext
from pyhelm.errors import ValuesError

NO_VALUE = "<no value>"  # what Go's template prints for a missing key (or a nil)


def _chart(name: str, values: dict[str, Any], *subcharts: Chart) -> Chart:
    return Chart(ChartMetadata("v2", name, "0.1.0"), values=values, subcharts=subcharts)


def _shown(values: Any, path: str) -> str:
    """``{{ .a.b }}`` as Go's text/template prints it."""
    for part in path.split("."):
        if not isinstance(values, dict) or part not in values:
            return NO_VALUE
        values = values[part]
    if values is None:
        return NO_VALUE
    return str(values).lower() if isinstance(values, bool) else str(values)


# testCoalesceValuesYaml
USER_VALUES = """
top: yup
bottom: null
right: Null
left: NULL
front: ~
back: ""
nested:
  boat: null

global:
  name: Ishmael
  subject: Queequeg
  nested:
    boat: true

pequod:
  boat: null
  global:
    name: Stinky
    harpooner: Tashtego
    nested:
      boat: false
      sail: true
      foo2: null
  ahab:
    scope: whale
    boat: null
    nested:
      foo: true
      boat: null
    object: null
"""


def _moby(merge: bool) -> Chart:
    """TestCoalesceValues' chart tree (TestMergeValues' differs a little)."""
    top: dict[str, Any] = {
        "back": "exists", "bottom": "exists", "front": "exists", "left": "exists",
        "name": "moby", "nested": {"boat": True}, "override": "bad", "right": "exists",
        "scope": "moby", "top": "nope", "global": {"nested2": {"l0": "moby"}}}
    pequod: dict[str, Any] = {"name": "pequod", "scope": "pequod",
                              "global": {"nested2": {"l1": "pequod"}}}
    ahab: dict[str, Any] = {
        "global": {"nested": {"foo": "bar"}, "nested2": {"l2": "ahab"}}, "scope": "ahab",
        "name": "ahab", "boat": True, "nested": {"foo": False, "bar": True}}
    if not merge:
        top["pequod"] = {"boat": "maybe", "ahab": {"boat": "maybe",
                                                   "nested": {"boat": "maybe"}}}
        pequod |= {"boat": False, "ahab": {"boat": False, "nested": {"boat": False}}}
        ahab |= {"global": {"nested": {"foo": "bar", "foo2": "bar2"},
                            "nested2": {"l2": "ahab"}},
                 "nested": {"foo": False, "boat": True}, "object": {"foo": "bar"}}
    spouter = _chart("spouter", {"scope": "spouter", "global": {"nested2": {"l1": "spouter"}}})
    return _chart("moby", top, _chart("pequod", pequod, _chart("ahab", ahab)), spouter)


# (template path, what it prints), the same for TestCoalesceValues and TestMergeValues
# except the rows named for one of them
PRINTED = [
    ("top", "yup"), ("back", ""), ("name", "moby"), ("global.name", "Ishmael"),
    ("global.subject", "Queequeg"), ("global.harpooner", NO_VALUE), ("pequod.name", "pequod"),
    ("pequod.ahab.name", "ahab"), ("pequod.ahab.scope", "whale"),
    ("pequod.ahab.nested.foo", "true"), ("pequod.ahab.global.name", "Ishmael"),
    ("pequod.ahab.global.nested.foo", "bar"), ("pequod.ahab.global.subject", "Queequeg"),
    ("pequod.ahab.global.harpooner", "Tashtego"), ("pequod.global.name", "Ishmael"),
    ("pequod.global.nested.foo", NO_VALUE), ("pequod.global.subject", "Queequeg"),
    ("spouter.global.name", "Ishmael"), ("spouter.global.harpooner", NO_VALUE),
    ("global.nested.boat", "true"), ("pequod.global.nested.boat", "true"),
    ("spouter.global.nested.boat", "true"), ("pequod.global.nested.sail", "true"),
    ("spouter.global.nested.sail", NO_VALUE), ("global.nested2.l0", "moby"),
    ("global.nested2.l1", NO_VALUE), ("global.nested2.l2", NO_VALUE),
    ("pequod.global.nested2.l0", "moby"), ("pequod.global.nested2.l1", "pequod"),
    ("pequod.global.nested2.l2", NO_VALUE), ("pequod.ahab.global.nested2.l0", "moby"),
    ("pequod.ahab.global.nested2.l1", "pequod"), ("pequod.ahab.global.nested2.l2", "ahab"),
    ("spouter.global.nested2.l0", "moby"), ("spouter.global.nested2.l1", "spouter"),
    ("spouter.global.nested2.l2", NO_VALUE),
]
COALESCE_PRINTED = [*PRINTED, ("pequod.ahab.global.nested.foo2", NO_VALUE)]
# keys coalescing removes (a user null over a default), and what merging keeps as null
NULLED = ["bottom", "right", "left", "front"]
COALESCE_REMOVED = [*NULLED, "nested.boat", "pequod.boat", "pequod.ahab.boat",
                    "pequod.ahab.nested.boat", "pequod.ahab.object"]
MERGE_KEPT_NULL = NULLED
MERGE_PRESENT = ["nested.boat", "pequod.ahab.boat", "pequod.ahab.nested.bar"]


def _values(merge: bool) -> dict[str, Any]:
    user = parse_values(USER_VALUES, "values")
    given = repr(user)
    found = coalesce_values(_moby(merge), user, merge=merge)
    assert repr(user) == given  # the user's values are left as they were
    return found


def _has(values: Any, path: str) -> tuple[bool, Any]:
    *parents, last = path.split(".")
    for part in parents:
        values = values[part]
    return last in values, values.get(last)


@pytest.mark.parametrize(("path", "printed"), COALESCE_PRINTED,
                         ids=[f"TestCoalesceValues/{p}" for p, _ in COALESCE_PRINTED])
def test_coalesce_values_prints(path: str, printed: str) -> None:
    assert _shown(_values(False), path) == printed


@pytest.mark.parametrize("path", COALESCE_REMOVED,
                         ids=[f"TestCoalesceValues/removed {p}" for p in COALESCE_REMOVED])
def test_coalesce_values_removes(path: str) -> None:
    assert not _has(_values(False), path)[0]


@pytest.mark.parametrize(("path", "printed"), PRINTED,
                         ids=[f"TestMergeValues/{p}" for p, _ in PRINTED])
def test_merge_values_prints(path: str, printed: str) -> None:
    assert _shown(_values(True), path) == printed


@pytest.mark.parametrize("path", MERGE_KEPT_NULL + MERGE_PRESENT,
                         ids=[f"TestMergeValues/kept {p}" for p in MERGE_KEPT_NULL + MERGE_PRESENT])
def test_merge_values_keeps(path: str) -> None:
    present, value = _has(_values(True), path)
    assert present and (value is None or path not in MERGE_KEPT_NULL)


def _tables() -> tuple[dict[str, Any], dict[str, Any]]:
    user = {"name": "Ishmael", "address": {"street": "123 Spouter Inn Ct.",
                                           "city": "Nantucket", "country": None},
            "details": {"friends": ["Tashtego"]}, "boat": "pequod", "hole": None}
    defaults = {"occupation": "whaler", "address": {"state": "MA", "street": "234 Spouter Inn Ct.",
                                                    "country": "US"},
                "details": "empty", "boat": {"mast": True}, "hole": "black"}
    return user, defaults


FULL = {"name": "Ishmael", "address": {"street": "123 Spouter Inn Ct.", "city": "Nantucket",
                                       "country": "US"},
        "details": {"friends": ["Tashtego"]}, "boat": "pequod", "hole": "black"}


@pytest.mark.parametrize("merge", [False, True], ids=["TestCoalesceTables", "TestMergeTables"])
def test_coalesce_tables(merge: bool) -> None:
    user, defaults = _tables()
    found = coalesce_tables(user, defaults, merge=merge)
    expected_address = {"street": "123 Spouter Inn Ct.", "city": "Nantucket", "state": "MA"}
    if merge:  # the user's nulls stay
        expected_address["country"] = None
    assert found == {"name": "Ishmael", "occupation": "whaler", "address": expected_address,
                     "details": {"friends": ["Tashtego"]}, "boat": "pequod",
                     **({"hole": None} if merge else {})}
    # --reuse-values with no change in the chart: nothing to coalesce with
    full = {**FULL, **({"nilval": None} if merge else {})}
    assert coalesce_tables(full, None, merge=merge) == full


def test_coalesce_values_warnings() -> None:
    """TestCoalesceValuesWarnings"""
    chart = _chart("level1", {"name": "moby"}, _chart("level2", {"name": "pequod"}, _chart(
        "level3", {"name": "ahab", "boat": True,
                   "spear": {"tip": True, "sail": {"cotton": True}}})))
    user = {"level2": {"level3": {"boat": {"mast": True},
                                  "spear": {"tip": {"sharp": True}, "sail": True}}}}
    warnings: list[str] = []
    coalesce_values(chart, user, warn=warnings.append)
    assert "warning: skipped value for level1.level2.level3.boat: Not a table." in warnings
    assert ("warning: destination for level1.level2.level3.spear.tip is a table. Ignoring "
            "non-table value (true)") in warnings
    assert ("warning: cannot overwrite table with non table for level1.level2.level3.spear.sail "
            "(map[cotton:true])") in warnings


def _parent(child: dict[str, Any]) -> Chart:
    return _chart("parent", {}, _chart("child", child))


def test_coalesce_values_empty_map_with_nils() -> None:
    """TestCoalesceValuesEmptyMapWithNils (issue 31643)"""
    found = coalesce_values(_chart("test", {"data": {}}), {"data": {"foo": "bar", "baz": None}})
    assert found["data"] == {"foo": "bar", "baz": None}


def test_coalesce_values_subchart_default_nils_cleaned() -> None:
    """TestCoalesceValuesSubchartDefaultNilsCleaned (issue 31919)"""
    found = coalesce_values(_parent({"keyMapping": {"password": None}}), {})
    assert found["child"]["keyMapping"] == {}


def test_coalesce_values_user_null_erases_subchart_default() -> None:
    """TestCoalesceValuesUserNullErasesSubchartDefault (issue 31919)"""
    found = coalesce_values(_parent({"someKey": "default"}), {"child": {"someKey": None}})
    assert "someKey" not in found["child"]


def test_coalesce_values_subchart_nil_does_not_shadow_global() -> None:
    """TestCoalesceValuesSubchartNilDoesNotShadowGlobal (issue 31971)"""
    found = coalesce_values(_parent({"ingress": {"feature": None}}),
                            {"global": {"ingress": {"feature": True}}})
    assert found["child"]["ingress"] == {}


def test_coalesce_values_subchart_nil_cleaned_when_user_partially_overrides() -> None:
    """TestCoalesceValuesSubchartNilCleanedWhenUserPartiallyOverrides"""
    found = coalesce_values(_parent({"keyMapping": {"password": None, "format": "bcrypt"}}),
                            {"child": {"keyMapping": {"format": "sha256"}}})
    assert found["child"]["keyMapping"] == {"format": "sha256"}


def test_to_render_values() -> None:
    """TestToRenderValues: what a template sees as .Chart, .Release, .Capabilities and
    .Values (pyhelm builds them apart: ReleaseContext, Capabilities, prepare)."""
    chart = _chart("test", {"name": "al Rashid", "where": {"city": "Basrah", "title": "caliph"}},
                   _chart("where", {}))
    prepared = prepare(chart, {"name": "Haroun", "where": {"city": "Baghdad", "date": "809 CE"}})
    release = ReleaseContext("Seven Voyages", "default", revision=1, is_install=True).as_dict()
    capabilities = Capabilities().as_dict()
    assert prepared.chart.metadata.name == "test"
    assert (release["Name"], release["Namespace"], release["Revision"]) == (
        "Seven Voyages", "default", 1)
    assert (release["IsUpgrade"], release["IsInstall"]) == (False, True)
    assert capabilities["APIVersions"].has("v1") and capabilities["KubeVersion"]["Major"] == "1"
    assert prepared.values["name"] == "Haroun"
    assert {k: prepared.values["where"][k] for k in ("city", "date", "title")} == {
        "city": "Baghdad", "date": "809 CE", "title": "caliph"}


class _Stdin(io.StringIO):
    pass


@pytest.mark.parametrize("path", ["-", "  -  "], ids=[
    "TestReadFile/stdin input with dash", "TestReadFile/stdin input with whitespace"])
def test_read_file_stdin(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("stdin test data"))
    assert read_values_text(path) == "stdin test data"


def _fetched(content: str | None, error: str | None = None) -> Any:
    def fetch(url: str) -> str:
        if error is not None:
            raise ValuesError(f"{url}: cannot fetch values file: "
                              f"{urllib.error.URLError(error).reason}")
        assert content is not None
        return content
    return fetch


# TestReadFile: (name, path or a file to make, fetched content, what is read or None: error)
READ_FILE: list[tuple[str, str, str | None, str | None]] = [
    ("invalid URL parsing", "://invalid-url", None, None),
    ("local file - existing", "@local file content", None, "local file content"),
    ("local file - non-existent", "/non/existent/file.txt", None, None),
    ("remote file with http scheme - success", "http://example.com/values.yaml",
     "remote content", "remote content"),
    ("remote file with https scheme - success", "https://example.com/values.yaml",
     "https content", "https content"),
    ("unsupported scheme fallback to local file", "@local fallback content", None,
     "local fallback content"),
    ("empty file path", "", None, None),
]


@pytest.mark.parametrize(("name", "path", "fetched", "expected"), READ_FILE,
                         ids=[f"TestReadFile/{c[0]}" for c in READ_FILE])
def test_read_file(name: str, path: str, fetched: str | None, expected: str | None,
                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values_module, "_fetch", _fetched(fetched))
    if path.startswith("@"):  # a local file with that content
        (tmp_path / "test.txt").write_text(path[1:])
        path = str(tmp_path / "test.txt")
    if expected is None:
        with pytest.raises(ValuesError):
            read_values_text(path)
    else:
        assert read_values_text(path) == expected


def test_read_file_getter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """TestReadFile/remote file - getter error"""
    monkeypatch.setattr(values_module, "_fetch", _fetched(None, "network error"))
    with pytest.raises(ValuesError, match="network error"):
        read_values_text("http://example.com/values.yaml")


@pytest.mark.parametrize(("path", "error", "message"), [
    ("://invalid", None, "missing protocol scheme"),
    ("http://example.com/file", "connection refused", "connection refused"),
], ids=["TestReadFileErrorMessages/URL parse error",
        "TestReadFileErrorMessages/getter error with message"])
def test_read_file_error_messages(path: str, error: str | None, message: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values_module, "_fetch", _fetched(None, error))
    with pytest.raises(ValuesError, match=message):
        read_values_text(path)


def test_read_file_original() -> None:
    """TestReadFileOriginal: a path with a bad URL escape"""
    with pytest.raises(ValuesError):
        read_values_text("%a.txt")


# TestMergeValuesCLI: (name, options, expected or None: error)
MERGE_VALUES_CLI: list[tuple[str, dict[str, tuple[str, ...]], dict[str, Any] | None]] = [
    ("set-json object", {"set_json_values": ('{"foo": {"bar": "baz"}}',)},
     {"foo": {"bar": "baz"}}),
    ("set-json key=value", {"set_json_values": ("foo.bar=[1,2,3]",)},
     {"foo": {"bar": [1.0, 2.0, 3.0]}}),
    ("set regular value", {"set_values": ("foo=bar",)}, {"foo": "bar"}),
    ("set string value", {"set_string_values": ("foo=123",)}, {"foo": "123"}),
    ("set literal value", {"set_literal_values": ("foo=true",)}, {"foo": "true"}),
    ("multiple options", {"set_values": ("a=foo",), "set_string_values": ("b=bar",),
                          "set_json_values": ('{"c": "foo1"}',),
                          "set_literal_values": ("d=bar1",)},
     {"a": "foo", "b": "bar", "c": "foo1", "d": "bar1"}),
    ("invalid json", {"set_json_values": ("{invalid",)}, None),
]


@pytest.mark.parametrize(("name", "options", "expected"), MERGE_VALUES_CLI,
                         ids=[f"TestMergeValuesCLI/{c[0]}" for c in MERGE_VALUES_CLI])
def test_merge_values_cli(name: str, options: dict[str, tuple[str, ...]],
                          expected: dict[str, Any] | None) -> None:
    if expected is None:
        with pytest.raises(ValuesError):
            ValueOptions(**options).merged()  # type: ignore[arg-type]
    else:
        assert ValueOptions(**options).merged() == expected  # type: ignore[arg-type]
