"""Drift between a release's manifest and the cluster, found and corrected as
helm-controller does it: each object of the deployed revision is applied server-side as a
dry run (Helm's field manager, conflicts forced) and the answer compared with the live
object. A difference in the fields the release sets is drift; fields others added are
not. ``spec.driftDetection.ignore`` paths are left out of the comparison. Correction
applies the changed objects again and creates the deleted ones; no revision is made.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyhelm.action.apply import FIELD_MANAGER, ReleaseRef, namespace_of, stamp_ownership
from pyhelm.action.records import manifests_of
from pyhelm.controller.selector import selects
from pyhelm.controller.spec import IgnoreRule
from pyhelm.engine.manifest import Manifest
from pyhelm.errors import KubeNotFoundError
from pyhelm.kube.protocol import KubeClient, KubeObject
from pyhelm.release.model import Release

# set by the server on every write, or only by others: never drift
_VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp",
                      "uid", "selfLink")


@dataclass(frozen=True)
class DriftedObject:
    """One object that is not as the release made it."""

    manifest: Manifest
    namespace: str | None
    deleted: bool
    paths: tuple[str, ...] = ()  # JSON pointers that differ (changed objects)
    live: Mapping[str, Any] | None = field(default=None, compare=False)
    ignored: tuple[str, ...] = ()  # the ignore rules' pointers on this object

    @property
    def ref(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.manifest.kind}/{where}{self.manifest.name}"

    def describe(self) -> str:
        if self.deleted:
            return f"{self.ref} deleted"
        return f"{self.ref} changed at {', '.join(self.paths[:5])}" + (
            f" and {len(self.paths) - 5} more" if len(self.paths) > 5 else "")


def comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` without status and the metadata the server or other writers
    own (deep: ignore rules then remove paths from it)."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k not in _VOLATILE_METADATA}
    return copy.deepcopy({**{k: v for k, v in obj.items() if k != "status"},
                          "metadata": meta})


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _tokens(pointer: str) -> list[str]:
    return [_unescape(t) for t in pointer.lstrip("/").split("/")] if pointer else []


def remove_pointer(doc: Any, pointer: str) -> None:
    """Drop the value at the JSON pointer, if there is one (in place)."""
    tokens = _tokens(pointer)
    if not tokens:
        return
    parent, last = _parent(doc, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = None  # keeps the other indexes comparable


def _parent(doc: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(doc, dict):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def keep_live_value(obj: dict[str, Any], live: Mapping[str, Any], pointer: str) -> None:
    """Make ``obj`` carry live's value at ``pointer`` (or none where live has none):
    applying it then changes nothing there, and keeps the field's ownership."""
    tokens = _tokens(pointer)
    if not tokens:
        return
    source, target = _parent(live, tokens[:-1]), _parent(obj, tokens[:-1])
    last = tokens[-1]
    if not isinstance(target, dict):
        return
    if isinstance(source, dict) and last in source:
        target[last] = source[last]
    else:
        target.pop(last, None)


def differences(want: Any, have: Any, at: str = "") -> list[str]:
    """The JSON pointers where ``want`` and ``have`` differ."""
    if isinstance(want, dict) and isinstance(have, dict):
        found: list[str] = []
        for key in sorted(set(want) | set(have), key=str):
            token = str(key).replace("~", "~0").replace("/", "~1")
            found += differences(want.get(key), have.get(key), f"{at}/{token}")
        return found
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [p for i, (w, h) in enumerate(zip(want, have, strict=True))
                for p in differences(w, h, f"{at}/{i}")]
    return [] if want == have else [at or "/"]


def _ignored(obj: Mapping[str, Any], rules: Sequence[IgnoreRule]) -> list[str]:
    return [path for index, rule in enumerate(rules)
            if selects(rule.target, obj, f"spec.driftDetection.ignore[{index}].target")
            for path in rule.paths]


def detect(kube: KubeClient, release: Release, rules: Sequence[IgnoreRule] = ()
           ) -> list[DriftedObject]:
    """Every object of ``release`` that was deleted or changed in the cluster."""
    owner = ReleaseRef(release.name, release.namespace)
    found = []
    for manifest in manifests_of(release):
        namespace = namespace_of(kube, manifest, release.namespace)
        try:
            live = kube.get(manifest.api_version, manifest.kind, manifest.name, namespace)
        except KubeNotFoundError:
            found.append(DriftedObject(manifest, namespace, deleted=True))
            continue
        wanted = kube.apply(stamp_ownership(manifest.obj, owner, namespace),
                            field_manager=FIELD_MANAGER, force=True, dry_run=True)
        want, have = comparable(wanted), comparable(live)
        for pointer in _ignored(live, rules):
            remove_pointer(want, pointer)
            remove_pointer(have, pointer)
        ignored = _ignored(live, rules)
        paths = differences(want, have)
        if paths:
            found.append(DriftedObject(manifest, namespace, deleted=False,
                                       paths=tuple(paths), live=live,
                                       ignored=tuple(ignored)))
    return found


def correct(kube: KubeClient, release: Release, drifted: Iterable[DriftedObject]
            ) -> list[KubeObject]:
    """Apply each drifted object as the release made it (creating the deleted ones)."""
    owner = ReleaseRef(release.name, release.namespace)
    applied = []
    for item in drifted:
        obj = copy.deepcopy(stamp_ownership(item.manifest.obj, owner, item.namespace))
        for pointer in item.ignored if item.live is not None else ():
            keep_live_value(obj, item.live or {}, pointer)
        applied.append(kube.apply(obj, field_manager=FIELD_MANAGER, force=True))
    return applied
