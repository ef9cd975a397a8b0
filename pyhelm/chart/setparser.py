"""Helm's ``--set`` syntax (the ``strvals`` grammar).

``a.b=1,c[0].d=x,list={x,y}``: dots nest, ``[n]`` indexes lists (padding with nulls),
``{a,b}`` is a list, ``\\,`` ``\\.`` ``\\=`` escape, and values are typed as Helm types
them: ``true``/``false`` are booleans, ``null`` is null, a whole number without a
leading zero is an integer, anything else a string (``1.5`` stays ``"1.5"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pyhelm.errors import ValuesError

Kind = Literal["set", "string", "file", "json", "literal"]
MAX_INDEX = 65536
_FLAGS = {"set": "--set", "string": "--set-string", "file": "--set-file",
          "json": "--set-json", "literal": "--set-literal"}


def typed_value(text: str) -> Any:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        try:
            number = int(text, 10)
        except ValueError:
            return text
        if -(2**63) <= number < 2**63 and text.lstrip("+-").isdigit():
            return number
    return text


class _Parser:
    def __init__(self, expr: str, kind: Kind) -> None:
        self.expr = expr
        self.kind = kind
        self.pos = 0

    def fail(self, problem: str) -> ValuesError:
        return ValuesError(f'{_FLAGS[self.kind]} "{self.expr}": {problem}')

    def peek(self) -> str:
        return self.expr[self.pos] if self.pos < len(self.expr) else ""

    def read_until(self, stops: str) -> tuple[str, str]:
        """Text up to the first unescaped stop character, and that character ('' at end)."""
        out: list[str] = []
        while self.pos < len(self.expr):
            char = self.expr[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.expr):
                out.append(self.expr[self.pos])
                self.pos += 1
            elif char in stops:
                return "".join(out), char
            else:
                out.append(char)
        return "".join(out), ""

    def key_path(self) -> list[str | int]:
        path: list[str | int] = []
        while True:
            name, stop = self.read_until(".[=,")
            if name:
                path.append(name)
            elif stop != "[" or not path:
                if stop in ("=", "") and not path:
                    raise self.fail("a key is missing")
                if stop != "[":
                    raise self.fail("an empty key segment")
            if stop == "[":
                index_text, close = self.read_until("]")
                if close != "]" or not index_text.strip().isdigit():
                    raise self.fail(f'invalid index "[{index_text}"')
                index = int(index_text)
                if index > MAX_INDEX:
                    raise self.fail(f"index {index} is larger than {MAX_INDEX}")
                path.append(index)
                if self.peek() == ".":
                    self.pos += 1
                    continue
                if self.peek() == "[":
                    continue
                if self.peek() not in ("=", ",", ""):
                    # Helm's wording, rune by rune, up to the "="
                    rest = self.expr[self.pos:].split("=", 1)[0].split(",", 1)[0]
                    runes = " ".join(f"'{c}'" for c in rest)
                    raise ValuesError(f"failed parsing {_FLAGS[self.kind]} data: unexpected "
                                      f"data at end of array index: [{runes}]")
                stop = self.peek()
                self.pos += 1 if stop else 0
            if stop == "=":
                return path
            if stop in (",", ""):
                raise self.fail(f'key "{_render(path)}" has no value (missing "=")')

    def value(self) -> Any:
        if self.kind == "literal":
            text = self.expr[self.pos:]
            self.pos = len(self.expr)
            return text
        if self.kind == "json":
            rest = self.expr[self.pos:]
            if not rest.split(",", 1)[0].strip():  # "a=" or "a=,b=1": null, as Helm
                self.pos += len(rest.split(",", 1)[0]) + (1 if "," in rest else 0)
                return None
            try:
                value, end = json.JSONDecoder().raw_decode(self.expr, self.pos)
            except ValueError as exc:
                raise self.fail(f"invalid JSON value: {exc.args[0]}") from exc
            self.pos = end
            if self.peek() not in (",", ""):
                raise self.fail(f"unexpected text after the JSON value at {self.pos}")
            self.pos += 1 if self.peek() else 0
            return value
        if self.peek() == "{" and self.kind in ("set", "string"):
            self.pos += 1
            items = []
            while True:
                item, stop = self.read_until(",}")
                items.append(self.convert(item))
                if stop == "}":
                    break
                if stop == "":
                    raise self.fail('a list "{" is not closed')
            following = self.peek()
            if following not in (",", ""):
                raise self.fail(f'unexpected "{following}" after a list')
            self.pos += 1 if following else 0
            return items
        text, _ = self.read_until(",")
        return self.convert(text)

    def convert(self, text: str) -> Any:
        if self.kind == "string":
            return text
        if self.kind == "file":
            try:
                return Path(text).read_text()
            except OSError as exc:
                raise self.fail(f"cannot read {text}: {exc.strerror}") from exc
        return typed_value(text)


def _render(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _assign(target: dict[str, Any], path: list[str | int], value: Any, fail: Any) -> None:
    node: Any = target
    for position, part in enumerate(path):
        last = position == len(path) - 1
        following = None if last else path[position + 1]
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if not isinstance(node, list):
                raise fail(f'"{_render(path[:position])}" is not a list')
            node.extend([None] * (part + 1 - len(node)))
            if last:
                node[part] = value
            else:
                if not isinstance(node[part], (dict, list)):
                    node[part] = empty
                node = node[part]
        else:
            if not isinstance(node, dict):
                raise fail(f'"{_render(path[:position])}" is not a map')
            if last:
                node[part] = value
            else:
                if not isinstance(node.get(part), (dict, list)) or (
                        isinstance(following, int) != isinstance(node.get(part), list)):
                    node[part] = empty
                node = node[part]


def parse_set(expr: str, into: dict[str, Any], *, kind: Kind = "set") -> dict[str, Any]:
    """Apply one ``--set``-family expression to ``into`` and return it."""
    parser = _Parser(expr, kind)
    while parser.pos < len(expr):
        path = parser.key_path()
        value = parser.value()
        _assign(into, path, value, parser.fail)
        if kind == "literal":
            break
    return into
