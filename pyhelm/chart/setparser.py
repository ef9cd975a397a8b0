"""Helm's ``--set`` family grammar (its ``strvals`` package), as Helm 4.3 parses it.

``a.b=1,c[0].d=x,list={x,y}``: dots nest (at most ``MAX_NESTED_NAME_LEVEL`` names
deep), ``[n]`` indexes lists (padding with nulls, up to ``MAX_INDEX``), ``{a,b}`` is a
list and a backslash takes the next character as it is. ``set`` types each value
(``true``/``false``/``null`` in any case, a whole number without a leading zero),
``string`` keeps text, ``file`` reads the named file, ``json`` reads one JSON value per
key (nothing is null) and ``literal`` takes everything after the first ``=`` of a single
key. Errors are Helm's own words, and so are its quirks: an expression that ends before
a value (``a[0``, ``noval[0]``, ``a.``) keeps what it set and is not an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pyhelm.errors import ValuesError
from pyhelm.yamlio import check_json_depth

Kind = Literal["set", "string", "file", "json", "literal"]
FileReader = Callable[[str], Any]
MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30
# Go's unicode.IsSpace (Python's isspace also counts \x1c-\x1f)
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                      + "".join(chr(c) for c in range(0x2000, 0x200B)))
_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT64 = range(-(2**63), 2**63)
_GO_TYPES = ((type(None), "nil"), (bool, "bool"), (int, "int64"), (float, "float64"),
             (str, "string"), (list, "[]interface {}"), (dict, "map[string]interface {}"))


def typed_value(text: str) -> Any:
    """A ``--set`` value as Helm types it."""
    for word, value in (("true", True), ("false", False), ("null", None)):
        if len(text) == len(word) and text.casefold() == word:  # Go's EqualFold
            return value
    if text == "0":
        return 0
    if text and text[0] != "0" and _GO_INT.fullmatch(text) and int(text) in _INT64:
        return int(text)
    return text


def set_index(items: list[Any], index: int, value: Any) -> list[Any]:
    """``items`` with ``value`` at ``index``, padded with nulls (Helm's setIndex)."""
    if index < 0:
        raise ValuesError(f"negative {index} index not allowed")
    if index > MAX_INDEX:
        raise ValuesError(f"index of {index} is greater than maximum supported index of "
                          f"{MAX_INDEX}")
    items.extend([None] * (index + 1 - len(items)))
    items[index] = value
    return items


def read_local_file(path: str) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise ValuesError(f"open {path}: {(exc.strerror or str(exc)).lower()}") from None


def parse_set(expr: str, into: dict[str, Any], *, kind: Kind = "set",
              read_file: FileReader = read_local_file) -> dict[str, Any]:
    """Apply one ``--set``-family expression to ``into`` and return it; errors are
    Helm's (without the ``failed parsing --set data:`` that the command adds)."""
    parser = _Parser(expr, kind, read_file)
    while not parser.key(into, 0):
        pass
    return into


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string."""
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}
    return '"' + "".join(escapes.get(c) or (c if c.isprintable() else _go_escape(c))
                         for c in text) + '"'


def _go_escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def _go_quote_runes(text: str) -> str:
    """Go's ``%q`` of a ``[]rune``: each rune quoted, space-separated, in brackets."""
    quoted = ("'\\''" if c == "'" else "'" + go_quote(c)[1:-1].replace('\\"', '"') + "'"
              for c in text)
    return "[" + " ".join(quoted) + "]"


class _Conversion(Exception):
    """A value of the wrong type where a map or list goes (a recovered panic in Go)."""


def _as(value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    found = next(name for cls, name in _GO_TYPES if isinstance(value, cls))
    wanted = dict(_GO_TYPES)[kind]
    raise _Conversion(f"interface conversion: interface {{}} is {found}, not {wanted}")


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key:  # Helm never sets an empty key
        data[key] = value


class _Runes:
    def __init__(self, text: str, escapes: bool) -> None:
        self.text = text
        self.pos = 0
        self.escapes = escapes

    def next(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        self.pos += 1
        return self.text[self.pos - 1]

    def back(self) -> None:
        self.pos -= 1

    def rest(self) -> str:
        text, self.pos = self.text[self.pos:], len(self.text)
        return text

    def until(self, stops: str) -> tuple[str, str | None]:
        """The text up to the first stop character, and that character (None at the
        end). A backslash takes the next character as it is (a last one is dropped)."""
        out: list[str] = []
        while (char := self.next()) is not None:
            if char in stops:
                return "".join(out), char
            if char == "\\" and self.escapes:
                char = self.next()
                if char is None:
                    break
            out.append(char)
        return "".join(out), None


class _Parser:
    """Helm's strvals parser. ``key`` and ``_list_item`` answer True where the expression
    ended early (Go's io.EOF), which stops the parse without an error."""

    def __init__(self, expr: str, kind: Kind, read_file: FileReader) -> None:
        self.kind = kind
        self.read_file = read_file
        self.runes = _Runes(expr, escapes=kind != "literal")
        self.key_stops = "=[." if kind == "literal" else "=[,."

    def key(self, data: dict[str, Any], level: int) -> bool:
        try:
            return self._key(data, level)
        except _Conversion as exc:
            raise ValuesError(f"unable to parse key: {exc}") from None

    def _key(self, data: dict[str, Any], level: int) -> bool:
        name, stop = self.runes.until(self.key_stops)
        if stop is None:
            if not name:
                return True
            raise ValuesError(f"key {go_quote(name)} has no value")
        if stop == "[":
            index, ended = self._index()
            if ended:
                return True
            items = _as(data[name], list) if name in data else []
            items, ended = self._list_item(items, index, level)
            _set(data, name, items)
            return ended
        if stop == "=":
            return self._assign(data, name)
        if stop == ",":
            _set(data, name, "")
            raise ValuesError(f"key {go_quote(name)} has no value (cannot end with ,)")
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise ValuesError("value name nested level is greater than maximum supported "
                              f"nested level of {MAX_NESTED_NAME_LEVEL}")
        inner = _as(data[name], dict) if name in data else {}
        ended = self.key(inner, level)
        if not ended and not inner:
            raise ValuesError(f"key map {go_quote(name)} has no value")
        if inner:
            _set(data, name, inner)
        return ended

    def _assign(self, data: dict[str, Any], name: str) -> bool:
        if self.kind == "literal":
            _set(data, name, self.runes.rest())
            return False
        if self.kind == "json":
            _set(data, name, None if self._empty_value() else self._json())
            return False
        if self.runes.pos == len(self.runes.text):
            _set(data, name, "")
            return True
        listed = self._value_list()
        _set(data, name, listed if listed is not None else self._value())
        return False

    def _list_item(self, items: list[Any], index: int, level: int
                   ) -> tuple[list[Any], bool]:
        if index < 0:
            raise ValuesError(f"negative {index} index not allowed")
        text, stop = self.runes.until("[.=")
        if text:
            raise ValuesError(f"unexpected data at end of array index: "
                              f"{_go_quote_runes(text)}")
        if stop is None:
            return items, True
        if stop == "=":
            if self.kind == "literal":
                return set_index(items, index, self.runes.rest()), False
            if self.kind == "json":
                return set_index(items, index,
                                 None if self._empty_value() else self._json()), False
            if self.runes.pos == len(self.runes.text):
                return set_index(items, index, ""), False
            listed = self._value_list()
            return set_index(items, index,
                             listed if listed is not None else self._value()), False
        if stop == "[":
            inner_index, ended = self._index()
            if ended:
                return items, True
            nested = items[index] if len(items) > index else None
            inner_items, ended = self._list_item(
                [] if nested is None else _as(nested, list), inner_index, level)
            if ended:
                return items, True
            return set_index(items, index, inner_items), False
        if len(items) > index and isinstance(items[index], dict):
            inner = items[index]
        else:
            inner = {}
            if len(items) > index:  # indices out of order: Helm starts this one afresh
                items[index] = inner
        if self.key(inner, level):
            return items, True
        return set_index(items, index, inner), False

    def _index(self) -> tuple[int, bool]:
        text, stop = self.runes.until("]")
        if stop is None:
            return 0, True
        problem = "invalid syntax" if not _GO_INT.fullmatch(text) else \
            "value out of range" if int(text) not in _INT64 else None
        if problem:
            raise ValuesError(f"error parsing index: strconv.Atoi: parsing {go_quote(text)}: "
                              f"{problem}")
        return int(text), False

    def _value(self) -> Any:
        text, _ = self.runes.until(",")
        return self._convert(text)

    def _value_list(self) -> list[Any] | None:
        """``{a,b}`` as a list; None (nothing read) when the value is not one."""
        if self.runes.next() != "{":
            self.runes.back()
            return None
        items = []
        while True:
            text, stop = self.runes.until(",}")
            if stop is None:
                raise ValuesError("list must terminate with '}'")
            items.append(self._convert(text))
            if stop == "}":
                if self.runes.next() not in (",", None):
                    self.runes.back()
                return items

    def _convert(self, text: str) -> Any:
        if self.kind == "string":
            return text
        if self.kind == "file":
            return self.read_file(text)
        return typed_value(text)

    def _empty_value(self) -> bool:
        """Skips blanks up to a comma or the end (True: no value), or to a value."""
        while (char := self.runes.next()) is not None and char != ",":
            if char not in _GO_SPACE:
                self.runes.back()
                return False
        return True

    def _json(self) -> Any:
        """One JSON value, then the blanks and comma after it."""
        try:
            check_json_depth(self.runes.text, self.runes.pos)
            value, end = _JSON.raw_decode(self.runes.text, self.runes.pos)
        except ValueError as exc:
            raise ValuesError(str(exc)) from None
        self.runes.pos = end
        self._empty_value()
        return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


_JSON = json.JSONDecoder(parse_constant=_no_constant)  # Go's JSON has no NaN, Infinity
