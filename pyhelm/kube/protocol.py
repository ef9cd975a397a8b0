"""The narrow interface pyhelm needs from a Kubernetes cluster.

Objects are plain JSON dicts (``apiVersion``, ``kind``, ``metadata`` ...). The real
implementation lives in ``pyhelm.kube.client`` (REST over ``pyhelm.kube.transport``, imported
lazily); unit tests use a small in-memory one (``tests/action/conftest.py``), and every
cluster behaviour is also tested on the real local control plane. Errors are
``pyhelm.errors.Kube*``.
Importing this module must not import the ``kubernetes`` package.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

KubeObject = dict[str, Any]


@dataclass(frozen=True)
class ResourceInfo:
    """What discovery says about one kind."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool


@dataclass(frozen=True)
class WatchEvent:
    """One event of a watch: its type and the object."""

    type: str  # ADDED, MODIFIED, DELETED
    object: KubeObject


class KubeClient(Protocol):
    """Cluster operations on unstructured objects."""

    @property
    def namespace(self) -> str:
        """The default namespace (from --namespace, the context, or 'default')."""
        ...

    def server_version(self) -> tuple[int, int, str]:
        """(major, minor, gitVersion) of the API server."""
        ...

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        """Map a kind to its resource; raises KubeNotFoundError for unknown kinds."""
        ...

    def api_versions(self) -> list[str]:
        """Every group/version the server serves, plus 'group/version/Kind' entries."""
        ...

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> KubeObject:
        """Raises KubeNotFoundError when absent."""
        ...

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[KubeObject]:
        """namespace=None on a namespaced kind lists across all namespaces."""
        ...

    def list_metadata(self, api_version: str, kind: str, namespace: str | None = None,
                      label_selector: str | None = None) -> builtins.list[KubeObject]:
        """Only the metadata of each object (PartialObjectMetadata): cheap in bulk."""
        ...

    def create(self, obj: KubeObject) -> KubeObject:
        """Raises KubeConflictError when it exists already."""
        ...

    def replace(self, obj: KubeObject) -> KubeObject:
        """Update with optimistic concurrency on metadata.resourceVersion."""
        ...

    def apply(self, obj: KubeObject, *, field_manager: str = "pyhelm", force: bool = False,
              dry_run: bool = False) -> KubeObject:
        """Server-side apply."""
        ...

    def get_table(self, api_version: str, kind: str, name: str | None,
                  namespace: str | None = None, label_selector: str | None = None
                  ) -> KubeObject:
        """The object (or the selector's objects) as a server-printed Table."""
        ...

    def pod_log(self, name: str, namespace: str, container: str | None = None) -> str:
        """The logs of one of the pod's containers (None: its only one), as text."""
        ...

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               *, propagation: str = "Background", resource_version: str | None = None
               ) -> bool:
        """Returns False when the object was already gone."""
        ...

    def watch(self, api_version: str, kind: str, namespace: str | None = None,
              field_selector: str | None = None, label_selector: str | None = None,
              resource_version: str | None = None, timeout_seconds: int | None = None
              ) -> Iterator[WatchEvent]:
        """Events until the timeout; restarts itself after 410 Gone."""
        ...


def object_ref(obj: Mapping[str, Any]) -> str:
    """'Kind/namespace/name' or 'Kind/name', for messages."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')}/{ns}/{name}" if ns else f"{obj.get('kind', '?')}/{name}"
