"""go-yaml's defences in every YAML read: alias bombs and excessive depth are refused
with one line (values files, rendered templates, Chart.yaml), not expanded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm import yamlio

SCRIPT = Path(sys.executable).parent / "pyhelm"


def laughs(levels: int, width: int = 9) -> str:
    """A "billion laughs": each level is ``width`` aliases of the one before."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_as_go_yaml_refuses_it() -> None:
    with pytest.raises(yamlio.YamlSyntaxError, match="excessive aliasing"):
        yamlio.load(laughs(7))
    with pytest.raises(yamlio.YamlSyntaxError, match="excessive aliasing"):
        yamlio.load_all("a: 1\n---\n" + laughs(7))


def test_ordinary_aliases_and_merge_keys_still_load() -> None:
    text = "base: &b {a: 1, b: [1, 2]}\nx: *b\nz: {<<: *b, c: 2}\n" + laughs(3)
    loaded = yamlio.load(text)
    assert loaded["z"] == {"a": 1, "b": [1, 2], "c": 2}
    assert len(loaded["l2"]) == 9 and loaded["l2"][0][0] == ["lol"] * 9


def test_self_containing_anchors_and_deep_nesting_are_refused() -> None:
    with pytest.raises(yamlio.YamlSyntaxError, match="anchor value contains itself"):
        yamlio.load("a: &x [1, *x]\n")
    deep_block = "".join("  " * i + "k:\n" for i in range(500))
    with pytest.raises(yamlio.YamlSyntaxError, match="exceeded max depth of 200"):
        yamlio.load(deep_block)
    with pytest.raises(yamlio.YamlSyntaxError, match="exceeded max depth of 200"):
        yamlio.load("[" * 300 + "]" * 300)
    assert yamlio.load("".join("  " * i + "k:\n" for i in range(150)))


def _chart(root: Path, template: str, values: str = "x: 1\n") -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: bomb\nversion: 1.0.0\n")
    (root / "values.yaml").write_text(values)
    (root / "templates" / "cm.yaml").write_text(template)
    return root


@pytest.mark.parametrize("where", ["template", "values", "deep-values"])
def test_template_refuses_a_bomb_in_one_line_without_expanding_it(
        tmp_path: Path, where: str) -> None:
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n" + laughs(6)
    if where == "template":
        chart = _chart(tmp_path / "c", bomb)
    elif where == "values":
        chart = _chart(tmp_path / "c", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                       laughs(6))
    else:
        chart = _chart(tmp_path / "c", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                       "".join("  " * i + "k:\n" for i in range(400)))
    result = subprocess.run(
        ["prlimit", "--as=1500000000", str(SCRIPT), "template", "x", str(chart)],
        capture_output=True, text=True, env={**os.environ, "PYHELM_DEBUG": ""}, timeout=120,
        check=False)
    assert result.returncode == 1, result.stdout[:200]
    first = result.stderr.splitlines()[0]  # (a render error quotes its source after it)
    assert first.startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    assert ("excessive aliasing" if where != "deep-values" else "exceeded max depth") in first


@pytest.mark.parametrize(("schema", "flags", "expected"), [
    ('{"$ref":"#"}', [], "a $ref loop"),
    ('{"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/b"},'
     '"b":{"$ref":"#/definitions/a"}}}', [], "a $ref loop"),
    ('{"properties":{"a":' * 5000 + "{}" + "}}" * 5000, [], "nested deeper than 200"),
    (None, ["--set-json", "b=" + "[" * 1000 + "]" * 1000], "failed parsing --set-json"),
    (None, ["--set-json", "{" + '"a":{' * 1000 + "}" * 1001], "failed parsing --set-json"),
])
def test_self_referring_and_deep_schemas_and_json_are_one_line(
        tmp_path: Path, schema: str | None, flags: list[str], expected: str) -> None:
    """Schemas that refer to themselves without end, and JSON deeper than Python's
    decoder goes, stop with one line, not a RecursionError traceback."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    if schema is not None:
        (chart / "values.schema.json").write_text(schema)
    done = subprocess.run([str(SCRIPT), "template", "x", str(chart), *flags],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYHELM_COMMAND_SERVER": "0"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert expected in done.stderr


@pytest.mark.parametrize(("schema", "value", "expected"), [
    # Python's backtracking re takes minutes here; Helm's RE2 and pyhelm's answer at once
    ('{"properties":{"a":{"type":"string","pattern":"^(a+)+$"}}}', "a" * 34 + "!",
     "a: does not match pattern '^(a+)+$'"),
    ('{"properties":{"a":{"type":"string","pattern":"(a)\\\\1"}}}', "aa",
     "is not a valid regular expression (RE2 syntax"),
    ('{"additionalProperties":false,"patternProperties":{"^(a+)+$":{}}}', "a" * 34 + "!",
     "additional properties are not allowed ('b')"),
])
def test_schema_patterns_run_in_linear_time_as_helms(tmp_path: Path, schema: str, value: str,
                                                     expected: str) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (chart / "values.schema.json").write_text(schema)
    done = subprocess.run([str(SCRIPT), "template", "x", str(chart), "--set", f"a={value}",
                           "--set", f"b={value}"], capture_output=True, text=True,
                          check=False, timeout=60,
                          env={**os.environ, "PYHELM_COMMAND_SERVER": "0"})
    assert done.returncode == 1
    assert expected in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
