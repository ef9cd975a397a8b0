"""``plugin.yaml`` decoded as go-yaml v3 decodes it into Helm's Go structs.

Helm reads ``plugin.yaml`` into typed fields: a string field takes the text of any scalar
(``version: 1.10`` stays "1.10"), a boolean takes YAML 1.2's true/false and, typed, 1.1's
yes/no/on/off, ``null`` leaves the zero value, and a strict decoder (Helm 4's v1 layout)
refuses unknown keys. Errors are collected as go-yaml does and reported together
(``yaml: unmarshal errors:`` then one ``line N: ...`` each), so Helm's messages carry over.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import yaml

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE_12 = {"true", "True", "TRUE"}
_FALSE_12 = {"false", "False", "FALSE"}
_TRUE_11 = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE_11 = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_INT = re.compile(r"^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"
                    r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")
MAX_BYTES = 1 << 20  # a plugin.yaml is a few hundred bytes; refuse to parse a huge one


class DecodeError(ValueError):
    """What go-yaml reports: a syntax error, or the unmarshal errors of one decode."""


def compose(data: bytes | str) -> yaml.Node | None:
    """The document's node tree (None for an empty document)."""
    if len(data) > MAX_BYTES:
        raise DecodeError(f"plugin.yaml is larger than {MAX_BYTES} bytes")
    try:
        node: yaml.Node | None = yaml.compose(data, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise DecodeError(f"yaml: {where}{getattr(exc, 'problem', None) or exc}") from None
    return node


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and not node.style
                            and node.value in _NULL)


def short_tag(node: yaml.Node) -> str:
    """The tag go-yaml v3 (YAML 1.2 core schema) gives a node, as errors print it."""
    if isinstance(node, yaml.MappingNode):
        return "!!map"
    if isinstance(node, yaml.SequenceNode):
        return "!!seq"
    if getattr(node, "style", None):
        return "!!str"
    text = str(node.value)
    if text in _NULL:
        return "!!null"
    if text in _TRUE_12 | _FALSE_12:
        return "!!bool"
    if _INT.match(text):
        return "!!int"
    if _FLOAT.match(text):
        return "!!float"
    return "!!str"


class Decoder:
    """One decode: typed reads of nodes, errors gathered until ``check``."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.errors: list[str] = []

    def _mismatch(self, node: yaml.Node, into: str) -> None:
        value = f" `{node.value}`" if isinstance(node, yaml.ScalarNode) else ""
        self.errors.append(f"line {node.start_mark.line + 1}: cannot unmarshal "
                           f"{short_tag(node)}{value} into {into}")

    def fields(self, node: yaml.Node | None, known: Collection[str],
               type_name: str) -> dict[str, yaml.Node]:
        """A mapping's values by key; with ``strict``, a key not in ``known`` is an
        error, as go-yaml's KnownFields reports it."""
        if is_null(node):
            return {}
        assert node is not None
        if not isinstance(node, yaml.MappingNode):
            self._mismatch(node, type_name)
            return {}
        found: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            if name in known:
                found[name] = value
            elif self.strict:
                self.errors.append(f"line {key.start_mark.line + 1}: field {name} not "
                                   f"found in type {type_name}")
        return found

    def string(self, node: yaml.Node | None) -> str:
        if is_null(node):
            return ""
        assert node is not None
        if not isinstance(node, yaml.ScalarNode):
            self._mismatch(node, "string")
            return ""
        return str(node.value)

    def boolean(self, node: yaml.Node | None) -> bool:
        if is_null(node):
            return False
        assert node is not None
        text = str(node.value) if isinstance(node, yaml.ScalarNode) else None
        if text is not None and not getattr(node, "style", None) and text in _TRUE_12 | _FALSE_12:
            return text in _TRUE_12
        if text is not None and text in _TRUE_11 | _FALSE_11:
            return text in _TRUE_11
        self._mismatch(node, "bool")
        return False

    def sequence(self, node: yaml.Node | None, into: str) -> list[yaml.Node]:
        if is_null(node):
            return []
        assert node is not None
        if not isinstance(node, yaml.SequenceNode):
            self._mismatch(node, into)
            return []
        return list(node.value)

    def strings(self, node: yaml.Node | None) -> tuple[str, ...]:
        return tuple(self.string(item) for item in self.sequence(node, "[]string"))

    def check(self) -> None:
        if self.errors:
            raise DecodeError("yaml: unmarshal errors:\n  " + "\n  ".join(self.errors))

