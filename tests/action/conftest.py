"""A dict-backed stand-in for the few KubeClient calls the action planners make."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from pyhelm.errors import KubeNotFoundError
from pyhelm.kube.protocol import KubeObject, ResourceInfo, WatchEvent


class DictKube:
    """The few KubeClient calls apply.py makes, on a dict; records the call order."""

    namespace = "prod"

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], KubeObject] = {}
        self.calls: list[str] = []

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        if kind == "Gone":
            raise KubeNotFoundError(kind)
        return ResourceInfo(api_version, kind, kind.lower() + "s", kind != "Namespace")

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> KubeObject:
        try:
            return copy.deepcopy(self.objects[(kind, namespace, name)])
        except KeyError:
            raise KubeNotFoundError(f"{kind}/{name}") from None

    def list_metadata(self, api_version: str, kind: str, namespace: str | None = None,
                      label_selector: str | None = None) -> list[KubeObject]:
        self.calls.append(f"list {kind}")
        return [{"metadata": copy.deepcopy(obj.get("metadata") or {})}
                for (k, ns, _), obj in self.objects.items() if k == kind and ns == namespace]

    def apply(self, obj: KubeObject, *, field_manager: str = "pyhelm", force: bool = False,
              dry_run: bool = False) -> KubeObject:
        meta = obj["metadata"]
        self.calls.append(f"apply {obj['kind']}/{meta['name']}")
        if not dry_run:
            self.objects[(obj["kind"], meta.get("namespace"), meta["name"])] = obj
        return obj

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               **_: Any) -> bool:
        self.calls.append(f"delete {kind}/{name}")
        return self.objects.pop((kind, namespace, name), None) is not None

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[WatchEvent]:
        raise AssertionError("apply must not watch")


@pytest.fixture
def dict_kube() -> DictKube:
    return DictKube()
