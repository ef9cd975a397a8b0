"""The names every template sees: Release, Chart, Capabilities, Files, Template.

``Values``, ``Release``, ``Chart`` and ``Template`` are plain dicts (the sandbox reads
mapping keys as attributes); ``Files`` and ``Capabilities.APIVersions`` are small
objects with methods, as in Helm.
"""

from __future__ import annotations

import base64
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyhelm.chart.model import TEMPLATES_DIR, Chart, ChartFile

DEFAULT_KUBE_VERSION = "v1.34.0"


@dataclass(frozen=True)
class ReleaseContext:
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
        }


class Files:
    """The chart's non-template files, read-only."""

    def __init__(self, files: Iterable[ChartFile]) -> None:
        self._files = {f.name: f.data for f in files}

    def get(self, name: str) -> str:
        data = self._files.get(str(name))
        return data.decode("utf-8", "replace") if data is not None else ""

    def get_bytes(self, name: str) -> bytes:
        return self._files.get(str(name), b"")

    def glob(self, pattern: str) -> Files:
        matched = [ChartFile(n, d) for n, d in self._files.items()
                   if fnmatch.fnmatchcase(n, str(pattern))]
        return Files(matched)

    def lines(self, name: str) -> list[str]:
        return self.get(name).splitlines()

    def names(self) -> list[str]:
        return sorted(self._files)

    def as_config(self) -> str:
        data = {n.rsplit("/", 1)[-1]: d.decode("utf-8", "replace")
                for n, d in sorted(self._files.items())}
        from pyhelm import yamlio

        return yamlio.dump(data).rstrip("\n") if data else ""

    def as_secrets(self) -> str:
        data = {n.rsplit("/", 1)[-1]: base64.b64encode(d).decode()
                for n, d in sorted(self._files.items())}
        from pyhelm import yamlio

        return yamlio.dump(data).rstrip("\n") if data else ""

    def __iter__(self) -> Any:
        return iter(sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)


def chart_dict(chart: Chart) -> dict[str, Any]:
    """Chart.yaml with Helm's capitalised names."""
    meta = chart.metadata
    return {
        "Name": meta.name, "Version": meta.version, "AppVersion": meta.app_version or "",
        "Description": meta.description or "", "Type": meta.type,
        "KubeVersion": meta.kube_version or "", "Keywords": list(meta.keywords),
        "Home": meta.home or "", "Sources": list(meta.sources),
        "Maintainers": [{"Name": m.name, "Email": m.email or "", "URL": m.url or ""}
                        for m in meta.maintainers],
        "Icon": meta.icon or "", "Deprecated": meta.deprecated,
        "Annotations": dict(meta.annotations), "APIVersion": meta.api_version,
        "Dependencies": [{"Name": d.name, "Version": d.version, "Repository": d.repository,
                          "Alias": d.alias or ""} for d in meta.dependencies],
    }


def template_dict(chart_path: str, template_name: str) -> dict[str, str]:
    return {"Name": f"{chart_path}/{template_name}",
            "BasePath": f"{chart_path}/{TEMPLATES_DIR.rstrip('/')}"}
