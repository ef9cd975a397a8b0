"""Preparing a chart for rendering: Helm's ProcessDependencies and CoalesceValues.

``prepare(chart, overrides)`` returns the chart with only its enabled subcharts (each
renamed to its alias) and the final values: chart defaults < parent's section < user
values, ``global`` copied down into every subchart, ``import-values`` lifted into the
parent. Every chart's merged values are then checked against its values.schema.json.
Subchart ``X`` reads its values at ``values["X"]``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyhelm.chart.model import Chart, Dependency
from pyhelm.chart.schema import validate_values
from pyhelm.chart.values import (
    Warn,
    coalesce,
    coalesce_tables,
    go_value,
    ignore_warning,
    merge_maps,
    path_value,
    set_path,
)
from pyhelm.errors import ChartError, ValuesError


# compared by no one: eq=False spares making __eq__ and __hash__ at start-up
@dataclass(frozen=True, eq=False)
class PreparedChart:
    """A chart with its dependencies resolved and its values coalesced."""

    chart: Chart
    values: dict[str, Any]


def prepare(chart: Chart, overrides: Mapping[str, Any], warn: Warn = ignore_warning
            ) -> PreparedChart:
    """Coalesce, drop disabled subcharts, import values, validate against schemas."""
    aliased = _apply_aliases(chart)
    values = coalesce_values(aliased, overrides, warn=warn)
    enabled = _prune_disabled(aliased, values, values.get("tags") or {}, "")
    values = _import_values(enabled, values)
    validate_values(enabled, values)
    return PreparedChart(enabled, values)


def coalesce_values(chart: Chart, values: Mapping[str, Any], *, merge: bool = False,
                    warn: Warn = ignore_warning) -> dict[str, Any]:
    """The values of the whole tree, as Helm's CoalesceValues (MergeValues with
    ``merge``, which keeps every null) makes them from the chart's defaults and the
    user's ``values``; ``warn`` gets the warnings Helm prints."""
    return _coalesce_tree(chart, values, chart.name, merge, warn)


def _dependency_for(chart: Chart, sub: Chart) -> Dependency | None:
    for dependency in chart.metadata.dependencies:
        if dependency.effective_name == sub.name:
            return dependency
    return None


def _apply_aliases(chart: Chart) -> Chart:
    """One subchart per dependency entry, named by its alias; unlisted ones kept."""
    by_name = {sub.name: sub for sub in chart.subcharts}
    subcharts: list[Chart] = []
    used: set[str] = set()
    for dependency in chart.metadata.dependencies:
        sub = by_name.get(dependency.name)
        if sub is None:
            raise ChartError(
                f"{chart.name}: dependency \"{dependency.name}\" is missing from charts/ "
                "(run `pyhelm dependency build`)")
        used.add(sub.name)
        if dependency.alias:
            sub = dataclasses.replace(
                sub, metadata=dataclasses.replace(sub.metadata, name=dependency.alias))
        subcharts.append(_apply_aliases(sub))
    subcharts += [_apply_aliases(s) for s in chart.subcharts if s.name not in used]
    return dataclasses.replace(chart, subcharts=tuple(subcharts))


def _coalesce_tree(chart: Chart, values: Mapping[str, Any], path: str, merge: bool,
                   warn: Warn) -> dict[str, Any]:
    """Helm's coalesce: the chart's defaults under ``values``, then each subchart's
    section, which first takes the chart's ``global`` table (the top chart has one only
    when its values give one)."""
    coalesced = coalesce(chart.values, values, merge=merge, prefix=path, warn=warn,
                         subcharts=frozenset(sub.name for sub in chart.subcharts))
    for sub in chart.subcharts:
        section = coalesced.setdefault(sub.name, {})
        if not isinstance(section, Mapping):
            raise ValuesError(f"type mismatch on {sub.name}: {_go_bool(section)}")
        section = dict(section)
        _take_globals(section, coalesced, path, warn)
        coalesced[sub.name] = _coalesce_tree(sub, section, f"{path}.{sub.name}", merge, warn)
    return coalesced


def _take_globals(section: dict[str, Any], parent: Mapping[str, Any], path: str,
                  warn: Warn) -> None:
    """Helm's coalesceGlobals: the parent's ``global`` entries win over the section's,
    tables merging, but a table and a value that is not one are not mixed."""
    own = section.get("global", {})
    given = parent.get("global", {})
    if not isinstance(own, Mapping) or not isinstance(given, Mapping):
        side = "destination" if not isinstance(own, Mapping) else "source"
        warn(f"warning: skipping globals because {side} global is not a table.")
        return
    merged = dict(own)
    for key, value in given.items():
        if isinstance(value, Mapping):
            if key not in merged:
                merged[key] = copy.deepcopy(dict(value))
            elif not isinstance(merged[key], Mapping):
                warn(f'Conflict: cannot merge map onto non-map for "{key}". Skipping.')
            else:
                merged[key] = coalesce_tables(value, merged[key], merge=True,
                                              prefix=f"{path}.{key}", warn=warn)
        elif isinstance(merged.get(key), Mapping):
            warn(f"key {key} is table. Skipping")
        else:
            merged[key] = copy.deepcopy(value)
    section["global"] = merged


def _go_bool(value: Any) -> str:
    """A value as Go's ``%t`` prints it (Helm's message uses it whatever the type)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "%!t(<nil>)"
    if isinstance(value, list):
        return "[" + " ".join(_go_bool(item) for item in value) + "]"
    kind = {str: "string", int: "int64", float: "float64"}.get(type(value), type(value).__name__)
    return f"%!t({kind}={go_value(value)})"


def _is_enabled(dependency: Dependency | None, values: Mapping[str, Any],
                tags: Mapping[str, Any], prefix: str) -> bool:
    if dependency is None:
        return True
    if dependency.condition:
        for path in dependency.condition.split(","):
            found, value = path_value(values, (prefix + path.strip()).lstrip("."))
            if found and isinstance(value, bool):
                return value
    if dependency.tags:
        states = [tags.get(t) for t in dependency.tags if isinstance(tags.get(t), bool)]
        if states:
            return any(states)
    return dependency.enabled


def _prune_disabled(chart: Chart, top_values: Mapping[str, Any], tags: Mapping[str, Any],
                    prefix: str) -> Chart:
    kept = []
    for sub in chart.subcharts:
        if _is_enabled(_dependency_for(chart, sub), top_values, tags, prefix):
            kept.append(_prune_disabled(sub, top_values, tags, f"{prefix}{sub.name}."))
    return dataclasses.replace(chart, subcharts=tuple(kept))


def _import_values(chart: Chart, values: dict[str, Any]) -> dict[str, Any]:
    for sub in chart.subcharts:
        values[sub.name] = _import_values(sub, values.get(sub.name) or {})
    imported: dict[str, Any] = {}
    for sub in chart.subcharts:
        dependency = _dependency_for(chart, sub)
        for item in dependency.import_values if dependency else ():
            child_values = values.get(sub.name) or {}
            if isinstance(item, str):
                child_path, parent_path = f"exports.{item}", ""
            elif isinstance(item, Mapping) and "child" in item and "parent" in item:
                child_path, parent_path = str(item["child"]), str(item["parent"])
            else:
                raise ChartError(f"{chart.name}: import-values entry {item!r} must be a string "
                                 "or a map with child and parent")
            found, value = path_value(child_values, child_path)
            if not found:
                continue
            if parent_path.strip("."):  # "." or "" import into the top of the values
                target: dict[str, Any] = {}
                set_path(target, parent_path, value)
            elif isinstance(value, Mapping):
                target = dict(value)
            else:
                continue
            imported = merge_maps(imported, target)
    # the parent's own values win over what it imports
    return coalesce(imported, values) if imported else values
