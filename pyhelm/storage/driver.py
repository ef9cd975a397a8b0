"""Storage drivers: where release revisions live.

Every driver stores one revision per object named ``sh.helm.release.v1.NAME.vN`` with
Helm's labels, so Helm's own client reads what pyhelm writes. ``create`` must be atomic
(it is the lock on a revision number): a second create of the same revision raises
``ReleaseExistsError``. ``latest`` answers ``list`` without decoding old revisions.
"""

from __future__ import annotations

import threading
from typing import Protocol

from pyhelm.errors import ReleaseExistsError, ReleaseNotFoundError
from pyhelm.release import codec
from pyhelm.release.model import Release, storage_key


class Driver(Protocol):
    name: str

    def create(self, release: Release) -> None: ...

    def update(self, release: Release) -> None: ...

    def get(self, name: str, version: int) -> Release: ...

    def history(self, name: str) -> list[Release]: ...

    def latest(self) -> list[Release]: ...

    def delete(self, name: str, version: int) -> None: ...


def helm_labels(release: Release, modified_at: int) -> dict[str, str]:
    """The labels Helm's drivers write and query."""
    return {"name": release.name, "owner": "helm", "status": str(release.info.status),
            "version": str(release.version), "modifiedAt": str(modified_at)}


class MemoryDriver:
    """Revisions in this process only: for dry runs, tests and library users."""

    name = "memory"

    def __init__(self, namespace: str = "") -> None:
        self.namespace = namespace
        self._records: dict[tuple[str, str], str] = {}  # (namespace, key) -> encoded
        self._lock = threading.Lock()

    def _slot(self, release: Release) -> tuple[str, str]:
        return release.namespace, storage_key(release.name, release.version)

    def create(self, release: Release) -> None:
        with self._lock:
            slot = self._slot(release)
            if slot in self._records:
                raise ReleaseExistsError(f"{slot[1]} already exists")
            self._records[slot] = codec.encode(release)

    def update(self, release: Release) -> None:
        with self._lock:
            slot = self._slot(release)
            if slot not in self._records:
                raise ReleaseNotFoundError(f"{slot[1]} not found")
            self._records[slot] = codec.encode(release)

    def _matching(self, name: str | None = None) -> list[Release]:
        with self._lock:
            items = list(self._records.items())
        found = []
        for (namespace, key), encoded in items:
            if self.namespace and namespace != self.namespace:
                continue
            if name is not None and not key.startswith(f"sh.helm.release.v1.{name}.v"):
                continue
            found.append(codec.decode(encoded))
        return [r for r in found if name is None or r.name == name]

    def get(self, name: str, version: int) -> Release:
        for release in self._matching(name):
            if release.version == version:
                return release
        raise ReleaseNotFoundError(f'release "{name}" revision {version} not found')

    def history(self, name: str) -> list[Release]:
        return sorted(self._matching(name), key=lambda r: r.version)

    def latest(self) -> list[Release]:
        newest: dict[tuple[str, str], Release] = {}
        for release in self._matching():
            key = (release.namespace, release.name)
            if key not in newest or release.version > newest[key].version:
                newest[key] = release
        return list(newest.values())

    def delete(self, name: str, version: int) -> None:
        with self._lock:
            for slot in [s for s in self._records if s[1] == storage_key(name, version)
                         and (not self.namespace or s[0] == self.namespace)]:
                del self._records[slot]
