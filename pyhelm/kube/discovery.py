"""Which resources the API server serves: kind -> plural and scope.

One request per API root with aggregated discovery (``apidiscovery.k8s.io/v2``, GA
since Kubernetes 1.30); older servers fall back to one request per group version.
Results are kept for the life of the client and refreshed once when a kind is unknown
(a CRD applied a moment ago). The core kinds the release store and namespaces use are
fixed by the API itself, so a command that touches only those (``list``, ``history``,
``get``) asks for no discovery at all, as Helm's typed clients do not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pyhelm.errors import KubeError, KubeNotFoundError
from pyhelm.kube.protocol import ResourceInfo

_AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
               "application/json")

RequestJson = Callable[..., Any]

# core/v1 resources whose names and scope are part of Kubernetes' API definition
BUILT_IN = {(info.api_version, info.kind): info for info in (
    ResourceInfo("v1", "Secret", "secrets", True),
    ResourceInfo("v1", "ConfigMap", "configmaps", True),
    ResourceInfo("v1", "Namespace", "namespaces", False),
    ResourceInfo("v1", "Pod", "pods", True),
)}


class Discovery:
    def __init__(self, request_json: RequestJson) -> None:
        self._request = request_json
        self._resources: dict[tuple[str, str], ResourceInfo] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[tuple[str, str], ResourceInfo]:
        resources: dict[tuple[str, str], ResourceInfo] = {}
        for root in ("/api", "/apis"):
            document = self._request("GET", root, "discovery", accept=_AGGREGATED)
            if document.get("kind") == "APIGroupDiscoveryList":
                self._read_aggregated(document, resources)
            else:
                self._read_legacy(root, document, resources)
        return resources

    @staticmethod
    def _read_aggregated(document: dict[str, Any],
                         into: dict[tuple[str, str], ResourceInfo]) -> None:
        for group in document.get("items") or []:
            group_name = (group.get("metadata") or {}).get("name", "")
            for version in group.get("versions") or []:
                api_version = f"{group_name}/{version['version']}" if group_name else \
                    version["version"]
                for resource in version.get("resources") or []:
                    kind = (resource.get("responseKind") or {}).get("kind")
                    if kind and "/" not in resource["resource"]:
                        into[(api_version, kind)] = ResourceInfo(
                            api_version, kind, resource["resource"],
                            resource.get("scope") == "Namespaced")

    def _read_legacy(self, root: str, document: dict[str, Any],
                     into: dict[tuple[str, str], ResourceInfo]) -> None:
        if root == "/api":
            versions = document.get("versions") or []
        else:
            versions = [v["groupVersion"] for g in document.get("groups") or []
                        for v in g.get("versions") or []]
        for api_version in versions:
            path = f"/api/{api_version}" if root == "/api" else f"/apis/{api_version}"
            try:
                listing = self._request("GET", path, "discovery")
            except KubeError:
                continue  # an unavailable aggregated API must not break discovery
            for resource in listing.get("resources") or []:
                if "/" not in resource["name"]:
                    into[(api_version, resource["kind"])] = ResourceInfo(
                        api_version, resource["kind"], resource["name"],
                        bool(resource.get("namespaced")))

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        built_in = BUILT_IN.get((api_version, kind))
        if built_in is not None:
            return built_in
        with self._lock:
            if self._resources is None:
                self._resources = self._load()
            info = self._resources.get((api_version, kind))
            if info is None:
                self._resources = self._load()
                info = self._resources.get((api_version, kind))
        if info is None:
            raise KubeNotFoundError(f'the server does not serve kind "{kind}" in '
                                    f'"{api_version}" (is its CRD installed?)')
        return info

    def api_versions(self) -> list[str]:
        with self._lock:
            if self._resources is None:
                self._resources = self._load()
            resources = dict(self._resources)
        versions = {api_version for api_version, _ in resources}
        versions |= {f"{api_version}/{kind}" for api_version, kind in resources}
        return sorted(versions)
