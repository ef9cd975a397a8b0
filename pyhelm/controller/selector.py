"""Which objects a kustomize-style target selects (``spec.driftDetection.ignore[].target``):
group, version, kind, name and namespace compared exactly, and Kubernetes label
selectors (``a=b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``) over the
object's labels and, for ``annotationSelector``, its annotations."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pyhelm.controller.spec import ObjectSelector
from pyhelm.errors import HelmReleaseSpecError

Predicate = Callable[[Mapping[str, str]], bool]

_SET_RULE = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_RULE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*(?:(==|=|!=)\s*([^\s!=(),]*))?\s*$")


def _split(text: str) -> list[str]:
    """The rules of a selector: commas inside ``( )`` do not separate."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def _rule(text: str, where: str) -> Predicate:
    found = _SET_RULE.match(text)
    if found:
        key, operator, values = found[1], found[2], {v.strip() for v in found[3].split(",")}
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    found = _RULE.match(text)
    if not found or (found[1] and found[3]):
        raise HelmReleaseSpecError(f"{where}: {text.strip()!r} is not a label selector rule")
    negate, key, operator, value = found[1], found[2], found[3], found[4] or ""
    if operator is None:
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    if operator == "!=":
        return lambda labels: labels.get(key) != value
    return lambda labels: labels.get(key) == value


def parse_label_selector(text: str, where: str) -> Predicate:
    """A predicate over labels; ``HelmReleaseSpecError`` for a malformed selector."""
    rules = [_rule(part, where) for part in _split(text)]
    return lambda labels: all(rule(labels) for rule in rules)


def selects(selector: ObjectSelector | None, obj: Mapping[str, Any], where: str) -> bool:
    """Whether ``obj`` (a manifest or live object) is one ``selector`` targets (None: all)."""
    if selector is None:
        return True
    meta = obj.get("metadata") or {}
    group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
    exact = ((selector.group, group), (selector.version, version),
             (selector.kind, obj.get("kind")), (selector.name, meta.get("name")),
             (selector.namespace, meta.get("namespace")))
    if any(wanted and wanted != actual for wanted, actual in exact):
        return False
    if selector.label_selector and not parse_label_selector(
            selector.label_selector, f"{where}.labelSelector")(meta.get("labels") or {}):
        return False
    return not selector.annotation_selector or parse_label_selector(
        selector.annotation_selector, f"{where}.annotationSelector")(
        meta.get("annotations") or {})
