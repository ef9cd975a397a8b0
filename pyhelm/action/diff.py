"""``diff upgrade``: what an upgrade would change, against the live objects.

The new manifests are applied with a server-side dry run (so defaults and admission
run), compared with the live objects as YAML with the server's bookkeeping stripped;
objects the upgrade would add or prune show as whole-file additions or removals.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from pyhelm.action.apply import ApplySettings, ReleaseRef, apply_manifests, live_objects
from pyhelm.action.chart_source import open_chart_ref
from pyhelm.action.configuration import Configuration
from pyhelm.action.lifecycle import reuse_rule
from pyhelm.action.lookup import history
from pyhelm.action.records import manifests_of
from pyhelm.action.rendering import render_for_release
from pyhelm.action.values_options import ValueOptions
from pyhelm.engine.manifest import Manifest
from pyhelm.engine.release_info import ReleaseContext

NOISE_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp",
                  "generation", "selfLink")
NOISE_ANNOTATIONS = ("deployment.kubernetes.io/revision",
                     "kubectl.kubernetes.io/last-applied-configuration")


@dataclass(frozen=True, kw_only=True)
class DiffOptions:
    name: str
    chart: str
    namespace: str | None = None
    version: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)
    reuse_values: bool = False
    reset_values: bool = False


@dataclass(frozen=True)
class ObjectDiff:
    ref: str
    change: str  # added, removed, changed
    diff: str


def clean(obj: dict[str, Any] | None) -> str:
    import yaml

    if obj is None:
        return ""
    obj = {k: v for k, v in obj.items() if k != "status"}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items()
                if k not in NOISE_METADATA}
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items()
                   if k not in NOISE_ANNOTATIONS}
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    obj["metadata"] = metadata
    return str(yaml.safe_dump(obj, sort_keys=True, default_flow_style=False))


def unified(ref: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"live {ref}", tofile=f"upgrade {ref}"))


def run(cfg: Configuration, options: DiffOptions) -> list[ObjectDiff]:
    namespace = options.namespace or cfg.namespace
    revisions = history(cfg.store(namespace), options.name)
    latest = revisions[-1]
    source = open_chart_ref(options.chart, options.version,
                            paths=cfg.settings.repo_paths)
    rendered = render_for_release(
        cfg, source, options.values,
        ReleaseContext(options.name, namespace, latest.version + 1, is_install=False,
                       is_upgrade=True),
        reuse=reuse_rule(options.reset_values, options.reuse_values, False, latest)).rendered
    live = dict((m.ref, obj) for m, obj in live_objects(cfg.kube, rendered.manifests,
                                                        namespace))
    planned = apply_manifests(cfg.kube, rendered.manifests, ApplySettings(
        release=ReleaseRef(options.name, namespace), dry_run=True, take_ownership=True,
        force_conflicts=True))
    diffs = [_compare(m, live.get(m.ref), after)
             for m, after in zip(_applied_order(rendered.manifests), planned.applied,
                                 strict=False)]
    new_refs = {m.ref for m in rendered.manifests}
    for manifest, obj in live_objects(cfg.kube, manifests_of(latest), namespace):
        if manifest.ref not in new_refs and obj is not None:
            diffs.append(ObjectDiff(manifest.ref, "removed",
                                    unified(manifest.ref, clean(obj), "")))
    return [d for d in diffs if d.diff]


def _applied_order(manifests: tuple[Manifest, ...]) -> list[Manifest]:
    from pyhelm.action.apply import kind_groups

    return [m for group in kind_groups(manifests) for m in group]


def _compare(manifest: Manifest, before: dict[str, Any] | None, after: dict[str, Any]
             ) -> ObjectDiff:
    change = "added" if before is None else "changed"
    return ObjectDiff(manifest.ref, change, unified(manifest.ref, clean(before), clean(after)))
