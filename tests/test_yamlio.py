"""YAML scalars as Kubernetes' Go tooling (go-yaml v2 via sigs.k8s.io/yaml) reads them."""

import math
import subprocess
from pathlib import Path

import pytest

from pyhelm import yamlio


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", True), ("On", True), ("y", True), ("n", False), ("off", False), ("true", True),
    ('"yes"', "yes"), ("0777", 511), ("0x1F", 31), ("0b101", 5), ("1_000", 1000),
    ("1e3", 1000.0), ("1.5", 1.5), ("2024-01-02", "2024-01-02"), ("~", None), ("null", None),
    ("12345678901234567890", 1.2345678901234567e19), ("'0777'", "0777"), ("0", 0),
])
def test_scalars(text: str, expected: object) -> None:
    assert yamlio.load(f"v: {text}\n") == {"v": expected}


def test_special_floats_and_keys() -> None:
    loaded = yamlio.load("a: .inf\nb: -.Inf\ny: 1\n1: 2\n")
    assert loaded["a"] == math.inf and loaded["b"] == -math.inf
    assert loaded["true"] == 1 and loaded["1"] == 2


def test_dump_quotes_strings_go_would_retype_and_sorts_keys() -> None:
    text = yamlio.dump({"b": "yes", "a": "y", "c": "0777", "d": "1e3", "e": "2024-01-02"})
    assert text.splitlines()[0] == "a: 'y'"
    assert yamlio.load(text) == {"b": "yes", "a": "y", "c": "0777", "d": "1e3",
                                 "e": "2024-01-02"}


def test_errors_carry_line_numbers() -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as info:
        yamlio.load("a: 1\nb: c: 2\n")
    assert info.value.line == 2
    with pytest.raises(yamlio.YamlSyntaxError, match="line 2"):
        yamlio.load("a: [1\n b: 2")


def test_merge_keys() -> None:
    assert yamlio.load("base: &b {x: 1}\nchild:\n  <<: *b\n  z: 2\n")["child"] == {"x": 1, "z": 2}


def test_a_key_given_twice_keeps_the_last_value_as_go_yaml_v2(tmp_path: Path) -> None:
    """Real charts render such manifests (prometheus-node-exporter's ServiceMonitor
    labels); Helm reads them through sigs.k8s.io/yaml, last value wins."""
    from pyhelm.testing.peers import helm_binary

    assert yamlio.load("a: 1\nb: {c: 1, c: 2}\na: 3\n") == {"a": 3, "b": {"c": 2}}
    chart = tmp_path / "dup"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: dup\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("x: 1\nx: 2\n")
    (chart / "templates" / "cm.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: "{{ .Values.x }}"\n')
    done = subprocess.run([str(helm_binary()), "template", str(chart)], capture_output=True,
                          text=True, check=True)
    assert 'x: "2"' in done.stdout
