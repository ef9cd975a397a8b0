"""The Secret and ConfigMap drivers: Helm's record objects in the cluster.

A Secret holds ``data.release`` = base64 of the encoded record (Secret data is base64
by definition) with type ``helm.sh/release.v1``; a ConfigMap holds the encoded record
as it is. Beyond Helm: a record too large for one object (1 MiB) is split; the object
under Helm's name holds the first part and a ``pyhelm.sh/parts`` label, and companions
``<name>.part<i>`` the rest (owner ``pyhelm``, so Helm never lists them). Helm cannot
read such records; every normal-sized record stays exactly in Helm's format.
"""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyhelm.errors import (
    KubeConflictError,
    KubeNotFoundError,
    ReleaseExistsError,
    ReleaseNotFoundError,
)
from pyhelm.kube.protocol import KubeClient, KubeObject
from pyhelm.release import codec
from pyhelm.release.model import Release, storage_key
from pyhelm.storage.driver import helm_labels

PART_SIZE = 900_000
PARTS_LABEL = "pyhelm.sh/parts"


class KubeObjectDriver:
    """Revisions as Secrets (``kind="Secret"``) or ConfigMaps (``kind="ConfigMap"``)."""

    def __init__(self, kube: KubeClient, namespace: str, kind: str = "Secret",
                 clock: Callable[[], float] = time.time) -> None:
        self.kube = kube
        self.namespace = namespace
        self.kind = kind
        self.name = "secret" if kind == "Secret" else "configmap"
        self._clock = clock

    # --------------------------------------------------------------- encoding
    def _payload(self, text: str) -> dict[str, Any]:
        if self.kind == "Secret":
            return {"type": "helm.sh/release.v1",
                    "data": {"release": base64.b64encode(text.encode()).decode()}}
        return {"data": {"release": text}}

    def _text(self, obj: KubeObject) -> str:
        value = (obj.get("data") or {}).get("release", "")
        return base64.b64decode(value).decode() if self.kind == "Secret" else value

    def _objects(self, release: Release) -> list[KubeObject]:
        """The main object first, then its parts (if the record needs them)."""
        encoded = codec.encode(release)
        chunks = [encoded[i:i + PART_SIZE] for i in range(0, len(encoded), PART_SIZE)] or [""]
        key = storage_key(release.name, release.version)
        labels = helm_labels(release, int(self._clock()))
        if len(chunks) > 1:
            labels[PARTS_LABEL] = str(len(chunks))
        main = {"apiVersion": "v1", "kind": self.kind,
                "metadata": {"name": key, "namespace": release.namespace, "labels": labels},
                **self._payload(chunks[0])}
        parts = [{"apiVersion": "v1", "kind": self.kind,
                  "metadata": {"name": f"{key}.part{index}", "namespace": release.namespace,
                               "labels": {"owner": "pyhelm", "name": release.name,
                                          "version": str(release.version)}},
                  **self._payload(chunk)} for index, chunk in enumerate(chunks[1:], 1)]
        return [main, *parts]

    def _decode(self, obj: KubeObject) -> Release:
        text = self._text(obj)
        parts = int(((obj.get("metadata") or {}).get("labels") or {}).get(PARTS_LABEL) or 1)
        if parts > 1:
            meta = obj["metadata"]
            text += "".join(self._text(self.kube.get(
                "v1", self.kind, f"{meta['name']}.part{i}", meta.get("namespace")))
                for i in range(1, parts))
        labels = dict((obj.get("metadata") or {}).get("labels") or {})
        return dataclasses.replace(codec.decode(text), labels=labels)

    # --------------------------------------------------------------- writes
    def create(self, release: Release) -> None:
        main, *parts = self._objects(release)
        try:
            self.kube.create(main)
        except KubeConflictError as exc:
            raise ReleaseExistsError(f"{main['metadata']['name']} already exists") from exc
        for part in parts:
            self._put(part)

    def update(self, release: Release) -> None:
        main, *parts = self._objects(release)
        for part in parts:
            self._put(part)
        try:
            self.kube.replace(main)
        except KubeNotFoundError as exc:
            raise ReleaseNotFoundError(f"{main['metadata']['name']} not found") from exc

    def _put(self, obj: KubeObject) -> None:
        try:
            self.kube.create(obj)
        except KubeConflictError:
            self.kube.replace(obj)

    def delete(self, name: str, version: int) -> None:
        key = storage_key(name, version)
        try:
            main = self.kube.get("v1", self.kind, key, self.namespace)
        except KubeNotFoundError:
            return
        parts = int((main["metadata"].get("labels") or {}).get(PARTS_LABEL) or 1)
        self.kube.delete("v1", self.kind, key, self.namespace)
        for index in range(1, parts):
            self.kube.delete("v1", self.kind, f"{key}.part{index}", self.namespace)

    # --------------------------------------------------------------- reads
    def get(self, name: str, version: int) -> Release:
        try:
            obj = self.kube.get("v1", self.kind, storage_key(name, version), self.namespace)
        except KubeNotFoundError as exc:
            raise ReleaseNotFoundError(f'release "{name}" revision {version} not found') \
                from exc
        return self._decode(obj)

    def history(self, name: str) -> list[Release]:
        objects = self.kube.list("v1", self.kind, self.namespace or None,
                                 label_selector=f"owner=helm,name={name}")
        return sorted((self._decode(o) for o in objects), key=lambda r: r.version)

    def latest(self) -> list[Release]:
        """The newest revision of every release, decoding only those."""
        metas = self._label_index()
        newest: dict[tuple[str, str], tuple[int, str]] = {}
        for namespace, key, labels in metas:
            try:
                version = int(labels.get("version", "0"))
            except ValueError:
                continue
            slot = (namespace, labels.get("name", ""))
            if slot not in newest or version > newest[slot][0]:
                newest[slot] = (version, key)

        def fetch(item: tuple[tuple[str, str], tuple[int, str]]) -> Release | None:
            (namespace, _), (_, key) = item
            try:
                return self._decode(self.kube.get("v1", self.kind, key, namespace))
            except KubeNotFoundError:
                return None  # deleted since it was listed

        with ThreadPoolExecutor(max_workers=16) as pool:
            return [r for r in pool.map(fetch, newest.items()) if r is not None]

    def _label_index(self) -> list[tuple[str, str, dict[str, str]]]:
        """(namespace, name, labels) of every record, without their payloads."""
        lister = getattr(self.kube, "list_metadata", None)
        namespace = self.namespace or None
        objects = (lister("v1", self.kind, namespace, label_selector="owner=helm") if lister
                   else self.kube.list("v1", self.kind, namespace, label_selector="owner=helm"))
        return [((o.get("metadata") or {}).get("namespace", ""), o["metadata"]["name"],
                 (o.get("metadata") or {}).get("labels") or {}) for o in objects]
