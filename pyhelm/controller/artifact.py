"""The chart artifact a source-controller object advertises in ``status.artifact``:
found, downloaded from source-controller's artifact server, and checked against its
digest before anything reads it. Verified artifacts are kept in a small cache by URL and
digest (``ArtifactCache``): a thousand HelmReleases of one chart download and hash it
once, not a thousand times."""

from __future__ import annotations

import hashlib
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhelm.controller.spec import (
    API_VERSION,
    GROUP,
    KIND,
    SOURCE_GROUP,
    ChartRef,
    HelmRelease,
)
from pyhelm.errors import ArtifactError, KubeNotFoundError, PyhelmError
from pyhelm.kube.protocol import KubeClient

MAX_ARTIFACT_BYTES = 128 * 1024 * 1024
_ALGORITHMS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
# HelmChart and OCIRepository are v1 since source-controller v1.5 (helm-controller's too)
SOURCE_API_VERSION = f"{SOURCE_GROUP}/v1"


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """``status.artifact`` of a source object."""

    url: str
    digest: str  # "<algorithm>:<hex>"
    revision: str
    path: str = ""
    size: int | None = None


def _ready_message(obj: Mapping[str, Any]) -> tuple[bool, str]:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True", str(condition.get("message") or "")
    return False, "no Ready condition yet"


def get_source(kube: KubeClient, ref: ChartRef) -> dict[str, Any]:
    """The source object ``ref`` names; ArtifactError when there is none."""
    api_version = ref.api_version or SOURCE_API_VERSION
    try:
        return kube.get(api_version, ref.kind, ref.name, ref.namespace)
    except KubeNotFoundError as exc:
        raise ArtifactError(f"could not get source object {ref.display}: {exc}") from exc


def source_artifact(kube: KubeClient, ref: ChartRef) -> Artifact:
    """The artifact of the source ``ref`` names, which must be Ready."""
    source = get_source(kube, ref)
    artifact = (source.get("status") or {}).get("artifact")
    ready, message = _ready_message(source)
    if not artifact:
        raise ArtifactError(f"{ref.display} has no artifact yet"
                            + (f": {message}" if message else ""))
    if not ready:
        raise ArtifactError(f"{ref.display} is not ready: {message}")
    url, digest = artifact.get("url"), artifact.get("digest")
    if not url or not digest:
        raise ArtifactError(f"{ref.display}: status.artifact has no url or digest")
    size = artifact.get("size")
    return Artifact(url=str(url), digest=str(digest),
                    revision=str(artifact.get("revision") or ""),
                    path=str(artifact.get("path") or ""),
                    size=int(size) if isinstance(size, int) else None)


FIELD_MANAGER = "pyhelm-controller"


def ensure_helm_chart(kube: KubeClient, hr: HelmRelease) -> None:
    """Apply (server-side) the HelmChart of ``hr``'s ``spec.chart`` template; it is owned
    by the HelmRelease when both are in one namespace, so deleting one deletes the other."""
    template = hr.chart_template
    if template is None:
        return
    ref = hr.chart_ref
    metadata: dict[str, Any] = {
        "name": ref.name, "namespace": ref.namespace,
        "labels": {**template.labels, f"{GROUP}/name": hr.name,
                   f"{GROUP}/namespace": hr.namespace},
        "annotations": dict(template.annotations)}
    if ref.namespace == hr.namespace and hr.uid:
        metadata["ownerReferences"] = [{"apiVersion": API_VERSION, "kind": KIND,
                                        "name": hr.name, "uid": hr.uid, "controller": True}]
    spec: dict[str, Any] = {
        "chart": template.chart, "version": template.version, "interval": template.interval,
        "reconcileStrategy": template.reconcile_strategy,
        "sourceRef": {"kind": template.source_kind, "name": template.source_name}}
    if template.values_files:
        spec["valuesFiles"] = list(template.values_files)
    if template.verify:
        spec["verify"] = dict(template.verify)
    if template.ignore_missing_values_files:
        spec["ignoreMissingValuesFiles"] = True
    chart = {"apiVersion": f"{SOURCE_GROUP}/v1", "kind": "HelmChart", "metadata": metadata,
             "spec": spec}
    try:
        kube.apply(chart, field_manager=FIELD_MANAGER, force=True)
    except PyhelmError as exc:
        raise ArtifactError(f"could not create or update HelmChart {ref.namespace}/"
                            f"{ref.name}: {exc}") from exc


def verify_digest(data: bytes, digest: str) -> None:
    """Raise ArtifactError unless ``data`` hashes to ``digest`` (``sha256:<hex>``)."""
    algorithm, _, expected = digest.partition(":")
    hasher = _ALGORITHMS.get(algorithm)
    if hasher is None or not expected:
        raise ArtifactError(f"unsupported artifact digest {digest!r} (sha256, sha384 or "
                            "sha512 expected)")
    actual = hasher(data).hexdigest()
    if actual != expected.lower():
        raise ArtifactError(f"artifact digest mismatch: expected {digest}, got "
                            f"{algorithm}:{actual}")


class ArtifactCache:
    """Artifacts whose digest was checked, by (url, digest), the least recently used
    dropped first once there are more than ``entries`` or more than ``max_bytes`` in all.
    The digest is part of the key: a hit is the very bytes that hashed to it, so it is not
    hashed again; a new artifact at the same URL is a miss. Thread-safe."""

    def __init__(self, entries: int = 16, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def size(self) -> int:
        with self._lock:
            return self._bytes

    def get(self, url: str, digest: str) -> bytes | None:
        with self._lock:
            data = self._items.get((url, digest))
            if data is not None:
                self._items.move_to_end((url, digest))
            return data

    def put(self, url: str, digest: str, data: bytes) -> None:
        """Keep ``data``, already verified against ``digest``."""
        if len(data) > self.max_bytes or self.entries < 1:
            return
        with self._lock:
            old = self._items.pop((url, digest), None)
            self._bytes -= len(old) if old is not None else 0
            self._items[(url, digest)] = data
            self._bytes += len(data)
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


ARTIFACTS = ArtifactCache()  # the process's: the controller's workers share it


def _download(artifact: Artifact, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(artifact.url, timeout=timeout) as answer:
            data: bytes = answer.read(MAX_ARTIFACT_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise ArtifactError(f"failed to download artifact from {artifact.url}: {exc}") from exc
    if len(data) > MAX_ARTIFACT_BYTES:
        raise ArtifactError(f"artifact {artifact.url} is larger than "
                            f"{MAX_ARTIFACT_BYTES} bytes")
    return data


def fetch_artifact(artifact: Artifact, directory: Path, timeout: float = 60.0,
                   cache: ArtifactCache | None = ARTIFACTS) -> Path:
    """Write the artifact, verified, into ``directory`` and return the file's path: from
    ``cache`` when it holds this URL and digest, else downloaded, checked against its
    digest (ArtifactError when it does not match) and then kept there."""
    data = cache.get(artifact.url, artifact.digest) if cache is not None else None
    if data is None:
        data = _download(artifact, timeout)
        verify_digest(data, artifact.digest)
        if cache is not None:
            cache.put(artifact.url, artifact.digest, data)
    name = Path(artifact.path or artifact.url.rsplit("/", 1)[-1]).name or "chart.tgz"
    if not name.endswith((".tgz", ".tar.gz")):
        name += ".tgz"
    target = directory / name
    target.write_bytes(data)
    return target
