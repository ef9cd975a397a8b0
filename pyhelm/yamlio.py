"""YAML for the whole project, with the scalar rules Kubernetes tooling uses.

Helm and kubectl read YAML with go-yaml v2 (through ``sigs.k8s.io/yaml``), which is
YAML 1.1-flavoured and differs from PyYAML's defaults: ``y``/``n``/``on``/``off`` are
booleans, ``0777`` is octal, ``1e3`` is a float, and ``2024-01-02`` stays a string (it
must survive a JSON round trip). The loader and dumper here implement those rules on
top of libyaml (PyYAML's C parser), so values files, manifests and ``toyaml`` agree with
what ``helm template`` and the API server see.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import TYPE_CHECKING, Any

import yaml
from yaml.resolver import BaseResolver

if TYPE_CHECKING:
    from yaml import CSafeDumper as _CDumper
    from yaml import CSafeLoader as _CLoader
else:  # libyaml's classes when PyYAML was built with them, the pure-Python ones if not
    _CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _CDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_BOOL_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_BOOL_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_BOOL_RE = re.compile("^(?:" + "|".join(sorted(_BOOL_TRUE | _BOOL_FALSE)) + ")$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
# what strconv.ParseInt(s, 0, 64) accepts: decimal, 0-octal, 0x, 0b, 0o, with underscores
_INT_RE = re.compile(
    r"^[-+]?(?:0|[1-9][0-9_]*|0[0-7_]+|0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_NOT_A_STRING = re.compile("|".join(f"(?:{r.pattern})" for r in (
    _BOOL_RE, _NULL_RE, _INT_RE, _FLOAT_RE, re.compile("^<<$"))))
_FIRST_CHARS = {
    "bool": list("yYnNtTfFoO"),
    "null": ["~", "n", "N", ""],
    "int": list("-+0123456789"),
    "float": list("-+0123456789."),
}


# the first characters of the scalars above, and of the merge key "<<"
_MAYBE_NOT_A_STRING = frozenset("<").union(*_FIRST_CHARS.values())


def plain_scalar_is_string(text: str) -> bool:
    """Whether an unquoted scalar reads as a string here (not a bool, null, int or
    float), as go-yaml v2 reads it."""
    if text and text[0] not in _MAYBE_NOT_A_STRING:
        return True  # no need to try the patterns
    return not _NOT_A_STRING.match(text)


class YamlSyntaxError(ValueError):
    """YAML that does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, line: int | None, column: int | None) -> None:
        where = f"line {line}" + (f", column {column}" if column else "") if line else ""
        super().__init__(f"{where}: {problem}" if where else problem)
        self.problem = problem
        self.line = line
        self.column = column


def _install_resolvers(cls: type[BaseResolver]) -> None:
    cls.yaml_implicit_resolvers = {}
    for tag, regex, kind in (("tag:yaml.org,2002:bool", _BOOL_RE, "bool"),
                             ("tag:yaml.org,2002:null", _NULL_RE, "null"),
                             ("tag:yaml.org,2002:int", _INT_RE, "int"),
                             ("tag:yaml.org,2002:float", _FLOAT_RE, "float"),
                             ("tag:yaml.org,2002:merge", re.compile(r"^<<$"), "")):
        cls.add_implicit_resolver(tag, regex, _FIRST_CHARS.get(kind, ["<"]))


# go-yaml's defences, which every YAML read here shares (values, templates' output,
# Chart.yaml, repository indexes): a document whose aliases expand it far beyond its
# own size ("billion laughs") is refused as go-yaml refuses it, before anything is built
# from it; so is nesting deeper than MAX_DEPTH (go-yaml allows 10,000, but building a
# deeper document here would exhaust Python's stack; no real manifest comes close).
MAX_DEPTH = 200
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v3's allowedAliasRatio: generous for small documents, strict for huge."""
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def check_node(root: yaml.Node) -> None:
    """Raise YamlSyntaxError for excessive aliasing, self-containing anchors or nesting
    deeper than MAX_DEPTH. Iterative (the check cannot blow the stack), and it visits
    each collection node once: scalars are counted, not visited."""
    size: dict[int, int] = {}   # collection node -> nodes it expands to
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    scalar = yaml.ScalarNode
    mapping = yaml.MappingNode
    stack: list[Any] = [root]
    written = 1  # nodes as written: each collection once, with its scalars
    while stack:
        node = stack[-1]
        key = id(node)
        if key in size:
            stack.pop()
            continue
        if isinstance(node, scalar):
            return  # a scalar document
        kids = ([part for pair in node.value for part in pair] if isinstance(node, mapping)
                else node.value)
        if key not in on_path:
            on_path.add(key)
            if len(on_path) > MAX_DEPTH:
                raise _at(node, f"exceeded max depth of {MAX_DEPTH}")
            pending = [k for k in kids if not isinstance(k, scalar) and id(k) not in size]
            for kid in pending:
                if id(kid) in on_path:
                    raise _at(kid, "anchor value contains itself")
            if pending:
                stack.extend(pending)
                continue
        total, deepest = 1, 0
        for kid in kids:
            if isinstance(kid, scalar):
                total += 1
                written += 1
                deepest = deepest or 1
            else:
                total += size[id(kid)]
                deepest = max(deepest, depth[id(kid)])
        size[key], depth[key] = total, deepest + 1
        on_path.discard(key)
        stack.pop()
    decoded = size[id(root)]
    aliased = decoded - written - len(size) + 1
    if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
        raise _at(root, "document contains excessive aliasing")


def _at(node: yaml.Node, problem: str) -> YamlSyntaxError:
    mark = node.start_mark
    return YamlSyntaxError(problem, mark.line + 1 if mark else None,
                           mark.column + 1 if mark else None)


class GoYamlLoader(_CLoader):
    """libyaml parsing, go-yaml v2 scalar resolution, go-yaml's alias and depth limits."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_node(node)
        return self.construct_document(node)

    def get_data(self) -> Any:
        node = self.get_node() if self.check_node() else None
        if node is None:
            return None
        check_node(node)
        return self.construct_document(node)


_install_resolvers(GoYamlLoader)


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)) in _BOOL_TRUE


def _parse_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "")
    lowered = digits.lower()
    if lowered.startswith(("0x", "0b", "0o")):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int | float:
    value = _parse_int(str(loader.construct_scalar(node)))
    # beyond int64 go-yaml falls back to a float, as JSON would carry it
    return value if -(2**63) <= value < 2**63 else float(value)


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text.endswith("nan"):
        return math.nan
    return float(text)


def _construct_str(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml's rule: a non-string key becomes its JSON text (``y`` -> "true")."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(key) if not key.is_integer() else str(int(key))
    return str(key)


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark)
        if not isinstance(key, str):
            key = _json_key(key)
        # a key given twice: the last one wins, as go-yaml v2 (sigs.k8s.io/yaml) decides;
        # real charts render such manifests and Helm installs them
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


GoYamlLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
GoYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
GoYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)
GoYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
GoYamlLoader.add_constructor("tag:yaml.org,2002:binary", _construct_str)


def _translate(exc: yaml.YAMLError) -> YamlSyntaxError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context and problem and context not in problem else problem
    return YamlSyntaxError(str(text), mark.line + 1 if mark else None,
                           mark.column + 1 if mark else None)


def load(text: str | bytes) -> Any:
    """Parse one YAML document; raises YamlSyntaxError."""
    try:
        return yaml.load(text, Loader=GoYamlLoader)
    except yaml.YAMLError as exc:
        raise _translate(exc) from exc


def load_all(text: str | bytes) -> list[Any]:
    """Parse every document of a stream (empty documents come back as None)."""
    try:
        return list(yaml.load_all(text, Loader=GoYamlLoader))
    except yaml.YAMLError as exc:
        raise _translate(exc) from exc


class GoYamlDumper(_CDumper):
    """Block style; a string that go-yaml would read as another type gets quoted."""


_install_resolvers(GoYamlDumper)


def _represent_str(dumper: yaml.SafeDumper | _CDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) and "\r" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


GoYamlDumper.add_representer(str, _represent_str)


def dump(data: Any, *, sort_keys: bool = True) -> str:
    """YAML text as Helm's ``toYaml`` writes it: block style, keys sorted, newline-ended."""
    return yaml.dump(data, Dumper=GoYamlDumper, sort_keys=sort_keys,
                     default_flow_style=False, allow_unicode=True, width=1 << 30)


def check_json_depth(text: str, start: int = 0) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH before Python's recursive decoder sees it
    (it would fail with RecursionError, or exhaust the stack). A scan of brackets outside
    strings, iterative."""
    depth = 0
    in_string = escaped = False
    for char in itertools.islice(text, start, None):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif char in "]}":
            depth -= 1
