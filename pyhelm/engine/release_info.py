"""What a render is for: the release (name, namespace, revision, install or upgrade) and
the cluster's capabilities (Kubernetes version, API versions). Shared by both engines;
kept free of the chart model so that rendering a Helm chart need not import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyhelm.helm_reference import DEFAULT_KUBE_VERSION, HELM_VERSION, KUBE_CLIENT_VERSION


@dataclass(frozen=True)
class ReleaseContext:
    """The release a chart renders for (its ``.Release``)."""

    name: str
    namespace: str = "default"
    revision: int = 1
    is_install: bool = True
    is_upgrade: bool = False
    service: str = "pyhelm"

    def as_dict(self) -> dict[str, Any]:
        return {"Name": self.name, "Namespace": self.namespace, "Revision": self.revision,
                "IsInstall": self.is_install, "IsUpgrade": self.is_upgrade,
                "Service": self.service}


class APIVersions:
    """``Capabilities.APIVersions.has("apps/v1")`` or ``has("apps/v1/Deployment")``."""

    def __init__(self, versions: Iterable[str]) -> None:
        self._versions = frozenset(versions)

    def has(self, version: str) -> bool:
        return version in self._versions

    def __iter__(self) -> Any:
        return iter(sorted(self._versions))

    def __len__(self) -> int:
        return len(self._versions)


BUILTIN_API_VERSIONS = (
    "v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1",
    "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
    "apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1", "coordination.k8s.io/v1",
    "discovery.k8s.io/v1", "scheduling.k8s.io/v1", "certificates.k8s.io/v1",
    "apiregistration.k8s.io/v1", "events.k8s.io/v1", "node.k8s.io/v1")


@dataclass(frozen=True)
class Capabilities:
    """The cluster a chart renders for (its ``.Capabilities``)."""

    kube_version: str = DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = BUILTIN_API_VERSIONS
    extra_api_versions: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        text = self.kube_version if self.kube_version.startswith("v") else "v" + self.kube_version
        major, minor = [*text[1:].split("."), "0", "0"][:2]
        return {
            "KubeVersion": {"Version": text, "GitVersion": text, "Major": major,
                            "Minor": minor.split("-")[0]},
            "APIVersions": APIVersions(self.api_versions + self.extra_api_versions),
            # the Helm release pyhelm follows, as Helm's own BuildInfo names it
            "HelmVersion": {"Version": HELM_VERSION, "GitCommit": "", "GitTreeState": "",
                            "GoVersion": "", "KubeClientVersion": KUBE_CLIENT_VERSION},
        }
