"""What rendering produces: manifests, hooks, and their order.

Helm's kind order decides install order (and, reversed, uninstall order); hooks are
manifests annotated ``pyhelm.sh/hook`` or ``helm.sh/hook``. ``manifest_text`` writes a
manifest set in Helm's release-record layout (``---`` / ``# Source: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyhelm import notices

INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_RANK = {kind: index for index, kind in enumerate(INSTALL_ORDER)}
# Helm's own uninstall list: not the install order reversed (webhooks first, Service early)
UNINSTALL_ORDER = (
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "Ingress",
    "IngressClass", "Service", "CronJob", "Job", "StatefulSet", "HorizontalPodAutoscaler",
    "Deployment", "ReplicaSet", "ReplicationController", "Pod", "DaemonSet",
    "RoleBindingList", "RoleBinding", "RoleList", "Role", "ClusterRoleBindingList",
    "ClusterRoleBinding", "ClusterRoleList", "ClusterRole", "CustomResourceDefinition",
    "PersistentVolumeClaim", "PersistentVolume", "StorageClass", "ConfigMap", "SecretList",
    "Secret", "ServiceAccount", "PodDisruptionBudget", "PodSecurityPolicy", "LimitRange",
    "ResourceQuota", "NetworkPolicy", "Namespace", "PriorityClass")
_UNINSTALL_RANK = {kind: index for index, kind in enumerate(UNINSTALL_ORDER)}

HOOK_EVENTS = frozenset({
    "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
    "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success"})
HOOK_PREFIXES = ("pyhelm.sh/", "helm.sh/")
_GO_INT = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Manifest:
    """One rendered Kubernetes object and where it came from."""

    template: str
    content: str
    obj: dict[str, Any] = field(compare=False, hash=False)
    api_version: str
    kind: str
    name: str
    namespace: str | None

    @property
    def ref(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"

    @property
    def annotations(self) -> Mapping[str, str]:
        return (self.obj.get("metadata") or {}).get("annotations") or {}


@dataclass(frozen=True)
class Hook:
    """A rendered hook: its manifest, the events it runs on, its weight and delete policies."""

    manifest: Manifest
    events: tuple[str, ...]
    weight: int
    delete_policies: tuple[str, ...]


@dataclass(frozen=True)
class Rendered:
    """What a chart renders to: manifests, hooks, CRDs and notes."""

    manifests: tuple[Manifest, ...]
    hooks: tuple[Hook, ...]
    crds: tuple[Manifest, ...]
    notes: str
    templates: Mapping[str, str]


def kind_rank(kind: str) -> int:
    """Position in Helm's install order; unknown kinds go last."""
    return _RANK.get(kind, len(INSTALL_ORDER))


def _by_kind(ranks: Mapping[str, int]) -> Any:
    """Helm's lessByKind: known kinds by the list, unknown ones after them sorted by kind
    name; ties keep their order (a stable sort)."""
    return lambda m: (ranks[m.kind], "") if m.kind in ranks else (len(ranks), m.kind)


def install_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    return sorted(manifests, key=_by_kind(_RANK))


def uninstall_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    return sorted(manifests, key=_by_kind(_UNINSTALL_RANK))


def hook_annotation(annotations: Mapping[str, str], suffix: str) -> str | None:
    for prefix in HOOK_PREFIXES:
        value = annotations.get(prefix + suffix)
        if value is not None:
            return str(value)
    return None


def as_hook(manifest: Manifest) -> Hook | None:
    """A Hook when the manifest carries the hook annotation, else None. As Helm: events
    and delete policies are case-insensitive (``test-success`` is ``test``) and a weight
    that is not a whole number counts as 0; see ``is_unknown_hook`` for unknown events."""
    events_text = hook_annotation(manifest.annotations, "hook")
    if events_text is None:
        return None
    named = (e.strip().lower() for e in events_text.split(","))
    events = tuple("test" if e == "test-success" else e for e in named if e in HOOK_EVENTS)
    weight = _go_int(hook_annotation(manifest.annotations, "hook-weight") or "")
    policies = hook_annotation(manifest.annotations, "hook-delete-policy") or ""
    return Hook(manifest, events, weight,
                tuple(p.strip().lower() for p in policies.split(",") if p.strip()))


def _go_int(text: str) -> int:
    """Go's strconv.Atoi, 0 where it fails: no spaces, no ``_``, ASCII digits, 64 bits."""
    if not _GO_INT.fullmatch(text):
        return 0
    number = int(text)
    return number if -(2**63) <= number < 2**63 else 0


def is_unknown_hook(manifest: Manifest) -> bool:
    """A hook naming an event Helm does not know: Helm leaves the whole object out
    (neither hook nor resource), and so does pyhelm."""
    events_text = hook_annotation(manifest.annotations, "hook")
    return events_text is not None and any(
        e.strip().lower() not in HOOK_EVENTS for e in events_text.split(","))


def split_hooks(parsed: Iterable[Manifest]) -> tuple[list[Manifest], list[Hook]]:
    """The resources and the hooks among rendered objects, in the order given; a hook
    naming an event Helm does not know is left out, as Helm leaves it out."""
    manifests: list[Manifest] = []
    hooks: list[Hook] = []
    for manifest in parsed:
        if is_unknown_hook(manifest):
            notices.tell(notices.UnknownHookSkipped(
                hook_annotation(manifest.annotations, "hook") or ""))
            continue
        hook = as_hook(manifest)
        if hook:
            hooks.append(hook)
        else:
            manifests.append(manifest)
    return manifests, hooks


def list_hooks(hooks: Iterable[Hook]) -> list[Hook]:
    """Hooks in kind order (ties keep template order): how Helm lists them."""
    return sorted(hooks, key=lambda h: _by_kind(_RANK)(h.manifest))


def sort_hooks(hooks: Iterable[Hook]) -> list[Hook]:
    """The order hooks run in: as listed, then stably by weight and name (Helm's
    hookByWeight)."""
    return sorted(list_hooks(hooks), key=lambda h: (h.weight, h.manifest.name))


def manifest_text(manifests: Iterable[Manifest]) -> str:
    """Helm's release manifest: each document under ``---`` and a ``# Source:`` line."""
    return "".join(f"---\n# Source: {m.template}\n{m.content}\n" for m in manifests)
