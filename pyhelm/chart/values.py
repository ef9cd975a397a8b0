"""User values: files and ``--set*`` flags merged in Helm's order of precedence.

``-f`` files in order, then ``--set-json``, ``--set``, ``--set-string``, ``--set-file``
and ``--set-literal`` (Helm's own order). A later source wins; maps merge deeply; a
``null`` survives here so that coalescing with chart defaults can delete that key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pyhelm.chart.setparser import Kind, parse_set
from pyhelm.errors import ValuesError

_FLAGS = {"set": "--set", "string": "--set-string", "file": "--set-file",
          "json": "--set-json", "literal": "--set-literal"}


def read_values_text(path: str | Path) -> str:
    """The text Helm reads for ``-f`` or ``--set-file``: '-' (blanks around it allowed)
    is standard input, an http(s) URL is fetched, anything else is a file, once Go has
    parsed it as a URL (``%a.txt`` is refused, as in Helm)."""
    source = str(path)
    if source.strip() == "-":
        import sys

        return sys.stdin.read()
    from pyhelm.chart.go_url import scheme_and_error

    scheme, error = scheme_and_error(source)
    if error:
        raise ValuesError(error)
    if scheme in ("http", "https"):
        return _fetch(source)
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ValuesError(f"open {source}: {(exc.strerror or str(exc)).lower()}") from exc


def _fetch(url: str) -> str:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, headers={"User-Agent": "pyhelm"}), timeout=30) as response:
            return bytes(response.read()).decode()
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ValuesError(f"{url}: cannot fetch values file: {reason}") from exc


def load_values_file(path: str | Path) -> dict[str, Any]:
    """A values file as a mapping; '-' reads standard input."""
    return parse_values(read_values_text(path), str(path))


def strip_bom(data: str | bytes) -> str | bytes:
    """Without a leading UTF-8 byte order mark (Helm strips it from chart files)."""
    if isinstance(data, bytes):
        return data.removeprefix(b"\xef\xbb\xbf")
    return data.removeprefix("\ufeff")


def parse_mapping(data: str | bytes, source: str, error: type[Exception] = ValuesError
                  ) -> dict[str, Any]:
    """A YAML document that must be a mapping (empty is {}); errors name the source."""
    from pyhelm import yamlio  # lazily: reading files as text needs no YAML parser

    data = strip_bom(data)
    try:
        loaded = yamlio.load(data) if data.strip() else {}
    except yamlio.YamlSyntaxError as exc:
        raise error(f"{source}: {exc}") from exc
    return _as_mapping(loaded, source, error)


def parse_values(data: str | bytes, source: str, error: type[Exception] = ValuesError
                 ) -> dict[str, Any]:
    """A values file: one or more YAML documents, each a mapping, merged in order (Helm's
    LoadValues)."""
    from pyhelm import yamlio

    data = strip_bom(data)
    try:
        documents = yamlio.load_all(data) if data.strip() else []
    except yamlio.YamlSyntaxError as exc:
        raise error(f"{source}: {exc}") from exc
    merged: dict[str, Any] = {}
    for document in documents:
        merged = merge_maps(merged, _as_mapping(document, source, error))
    return merged


def _as_mapping(loaded: Any, source: str, error: type[Exception]) -> dict[str, Any]:
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise error(f"{source}: must be a YAML mapping, not {type(loaded).__name__}")
    return loaded


def merge_maps(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: maps merge, everything else in ``override`` replaces (nulls kept)."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_maps(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_overrides(values_files: Sequence[str | Path] = (), set_values: Sequence[str] = (),
                    set_string_values: Sequence[str] = (), set_file_values: Sequence[str] = (),
                    set_json_values: Sequence[str] = (), set_literal_values: Sequence[str] = (),
                    mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every user-supplied value source merged into one mapping, Helm's precedence: files,
    a library caller's ``mapping``, then the flags, each applied to what came before."""
    merged: dict[str, Any] = {}
    for path in values_files:
        merged = merge_maps(merged, load_values_file(path))
    if mapping:
        merged = merge_maps(merged, mapping)
    ordered: tuple[tuple[Kind, Sequence[str]], ...] = (
        ("json", set_json_values), ("set", set_values), ("string", set_string_values),
        ("file", set_file_values), ("literal", set_literal_values))
    for kind, expressions in ordered:
        for expr in expressions:
            if kind == "json" and expr.strip().startswith("{"):
                merged = merge_maps(merged, _json_object(expr))
                continue
            # Helm parses each expression into the accumulated map, so an index
            # like a[1]=x edits a list given by a -f file instead of replacing it.
            try:
                parse_set(expr, merged, kind=kind, read_file=read_values_text)
            except ValuesError as exc:
                # Helm's words; --set-json's name the expression, not the problem
                detail = f" {expr}" if kind == "json" else f": {exc}"
                raise ValuesError(f"failed parsing {_FLAGS[kind]} data{detail}") from exc
    return merged


def _json_object(expr: str) -> dict[str, Any]:
    """``--set-json '{"a": 1}'``: a whole object merged in (Helm 3.17+)."""
    import json

    from pyhelm.yamlio import check_json_depth

    try:
        check_json_depth(expr)
        value = json.loads(expr)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValuesError(f"failed parsing --set-json data JSON: {expr}")
    return value


Warn = Callable[[str], None]


def ignore_warning(_message: str) -> None:
    """Helm prints its coalescing warnings on standard error; by default pyhelm's
    functions keep quiet."""


def coalesce(defaults: Mapping[str, Any], overrides: Mapping[str, Any], *,
             merge: bool = False, subcharts: frozenset[str] = frozenset(), prefix: str = "",
             warn: Warn = ignore_warning) -> dict[str, Any]:
    """One chart's defaults under user values, as Helm (4.3) coalesces them: a user
    ``null`` removes a key the defaults have; a ``null`` for a key they lack stays (a
    subchart may have it), and so do all nulls under a subchart's section (``merge``),
    for the subchart's own defaults to act on. The chart's own ``null`` defaults are
    dropped. ``prefix`` is the chart's dotted path in Helm's warnings."""
    result = copy.deepcopy(dict(overrides))
    for key, default in defaults.items():
        if key not in overrides:
            if merge:
                result[key] = copy.deepcopy(default)
            elif default is not None:
                result[key] = _without_nulls(default) if isinstance(default, Mapping) \
                    else copy.deepcopy(default)
            continue
        value = overrides[key]
        if value is None:
            if not merge:
                del result[key]
        elif isinstance(value, Mapping) and isinstance(default, Mapping):
            child_merge = merge or key in subcharts
            result[key] = coalesce_tables(
                value, default if child_merge else _without_nulls(default), merge=child_merge,
                prefix=_joined(prefix, key), warn=warn)
        elif isinstance(value, Mapping) and default is not None:
            warn(f"warning: skipped value for {prefix}.{key}: Not a table.")
    return result


def coalesce_tables(overrides: Mapping[str, Any] | None, defaults: Mapping[str, Any] | None,
                    *, merge: bool = False, prefix: str = "", warn: Warn = ignore_warning
                    ) -> dict[str, Any]:
    """``overrides`` over ``defaults``, table by table (Helm's CoalesceTables; with
    ``merge``, MergeTables): an override ``null`` removes the default it covers, unless
    merging; where ``defaults`` has nothing, or ``null``, it stays. A table and a value
    that is not one do not mix: the override is kept, with Helm's warning."""
    if defaults is None or overrides is None:
        return copy.deepcopy(dict(overrides or defaults or {}))
    result = copy.deepcopy(dict(overrides))
    for key, default in defaults.items():
        if key not in overrides:
            result[key] = copy.deepcopy(default)
            continue
        value, full_key = overrides[key], _joined(prefix, key)
        if value is None:
            if not merge and default is not None:
                del result[key]
        elif isinstance(default, Mapping):
            if isinstance(value, Mapping):
                result[key] = coalesce_tables(value, default, merge=merge, prefix=full_key,
                                              warn=warn)
            else:
                warn(f"warning: cannot overwrite table with non table for {full_key} "
                     f"({go_value(default)})")
        elif isinstance(value, Mapping) and default is not None:
            warn(f"warning: destination for {full_key} is a table. Ignoring non-table value "
                 f"({go_value(default)})")
    return result


def _joined(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def go_value(value: Any) -> str:
    """A value as Go's ``%v`` prints it in Helm's warnings (maps with sorted keys; a
    float in Python's shortest form, without Go's ``.0``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value).removesuffix(".0") if isinstance(value, float) else str(value)


def _without_nulls(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a chart's default table without its null entries (Helm 4.3's
    cleanNilValues: a default null would otherwise shadow a global or print as nil)."""
    return {k: _without_nulls(v) if isinstance(v, Mapping) else copy.deepcopy(v)
            for k, v in mapping.items() if v is not None}


def path_value(values: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """(found, value) for a dotted path like ``sub.enabled``."""
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def set_path(values: dict[str, Any], dotted: str, value: Any) -> None:
    node = values
    parts = [p for p in dotted.split(".") if p]
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if parts:
        node[parts[-1]] = value
