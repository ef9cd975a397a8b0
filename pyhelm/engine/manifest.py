"""What rendering produces: manifests, hooks, and their order.

Helm's kind order decides install order (and, reversed, uninstall order); hooks are
manifests annotated ``pyhelm.sh/hook`` or ``helm.sh/hook``. ``manifest_text`` writes a
manifest set in Helm's release-record layout (``---`` / ``# Source: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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

HOOK_EVENTS = frozenset({
    "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
    "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success"})
HOOK_PREFIXES = ("pyhelm.sh/", "helm.sh/")


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
    manifest: Manifest
    events: tuple[str, ...]
    weight: int
    delete_policies: tuple[str, ...]


@dataclass(frozen=True)
class Rendered:
    manifests: tuple[Manifest, ...]
    hooks: tuple[Hook, ...]
    crds: tuple[Manifest, ...]
    notes: str
    templates: Mapping[str, str]


def kind_rank(kind: str) -> int:
    """Position in Helm's install order; unknown kinds go last."""
    return _RANK.get(kind, len(INSTALL_ORDER))


def install_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Stable sort by kind order (ties keep template order, as Helm does)."""
    return sorted(manifests, key=lambda m: kind_rank(m.kind))


def uninstall_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    return list(reversed(install_order(manifests)))


def hook_annotation(annotations: Mapping[str, str], suffix: str) -> str | None:
    for prefix in HOOK_PREFIXES:
        value = annotations.get(prefix + suffix)
        if value is not None:
            return str(value)
    return None


def as_hook(manifest: Manifest) -> Hook | None:
    """A Hook when the manifest carries hook annotations, else None."""
    events_text = hook_annotation(manifest.annotations, "hook")
    if not events_text:
        return None
    events = tuple(e.strip() for e in events_text.split(",") if e.strip())
    unknown = [e for e in events if e not in HOOK_EVENTS]
    if unknown:
        from pyhelm.errors import RenderError

        raise RenderError(f"{manifest.template}: unknown hook event(s) {', '.join(unknown)} "
                          f"on {manifest.ref}")
    weight_text = hook_annotation(manifest.annotations, "hook-weight") or "0"
    try:
        weight = int(weight_text)
    except ValueError:
        from pyhelm.errors import RenderError

        raise RenderError(f"{manifest.template}: hook-weight {weight_text!r} of "
                          f"{manifest.ref} is not a whole number") from None
    policies = hook_annotation(manifest.annotations, "hook-delete-policy") or ""
    return Hook(manifest, events, weight,
                tuple(p.strip() for p in policies.split(",") if p.strip()))


def sort_hooks(hooks: Iterable[Hook]) -> list[Hook]:
    """By weight, then kind order, then name: the order hooks run in."""
    return sorted(hooks, key=lambda h: (h.weight, kind_rank(h.manifest.kind), h.manifest.name))


def manifest_text(manifests: Iterable[Manifest]) -> str:
    """Helm's release manifest: each document under ``---`` and a ``# Source:`` line."""
    return "".join(f"---\n# Source: {m.template}\n{m.content}\n" for m in manifests)
