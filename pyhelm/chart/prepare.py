"""Preparing a chart for rendering: Helm's ProcessDependencies and CoalesceValues.

``prepare(chart, overrides)`` returns the chart with only its enabled subcharts (each
renamed to its alias) and the final values: chart defaults < parent's section < user
values, ``global`` copied down into every subchart, ``import-values`` lifted into the
parent. Every chart's merged values are then checked against its values.schema.json.
Subchart ``X`` reads its values at ``values["X"]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyhelm.chart.model import Chart, Dependency
from pyhelm.chart.schema import validate_values
from pyhelm.chart.values import coalesce, merge_maps, path_value, set_path
from pyhelm.errors import ChartError


@dataclass(frozen=True)
class PreparedChart:
    chart: Chart
    values: dict[str, Any]


def prepare(chart: Chart, overrides: Mapping[str, Any]) -> PreparedChart:
    """Coalesce, drop disabled subcharts, import values, validate against schemas."""
    aliased = _apply_aliases(chart)
    values = _coalesce_tree(aliased, dict(overrides), None)
    enabled = _prune_disabled(aliased, values, values.get("tags") or {}, "")
    values = _import_values(enabled, values)
    validate_values(enabled, values)
    return PreparedChart(enabled, values)


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


def _coalesce_tree(chart: Chart, overrides: dict[str, Any],
                   parent_global: Mapping[str, Any] | None) -> dict[str, Any]:
    """``parent_global``: None for the top chart, which (as in Helm) has a ``global``
    table only when its values give one; every subchart gets one."""
    values = coalesce(chart.values, overrides,
                      subcharts=frozenset(sub.name for sub in chart.subcharts))
    own_global = values.get("global") if isinstance(values.get("global"), Mapping) else {}
    if parent_global is not None or "global" in values:
        values["global"] = merge_maps(own_global or {}, parent_global or {})
    for sub in chart.subcharts:
        section = values.get(sub.name)
        values[sub.name] = _coalesce_tree(
            sub, dict(section) if isinstance(section, Mapping) else {},
            values.get("global", {}))
    return values


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
