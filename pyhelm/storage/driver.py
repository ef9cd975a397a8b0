"""Storage drivers: where release revisions live.

Every driver stores one revision per object named ``sh.helm.release.v1.NAME.vN`` with
Helm's labels, so Helm's own client reads what pyhelm writes. ``create`` must be atomic
(it is the lock on a revision number): a second create of the same revision raises
``ReleaseExistsError``. ``update`` is conditional: it writes only over the version of the
object the release was read from (or this driver last wrote from it), else it raises
``ReleaseConflictError``; a record is never overwritten by a writer that did not see the
latest one. ``latest`` answers ``list`` without decoding old revisions, and
``latest_summaries``/``history_summaries`` what ``list``/``history`` print, decoding
only what no summary annotation answers. Readers skip a
record that cannot be decoded and say so through ``warn`` (as Helm skips it).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Mapping
from typing import Protocol

from pyhelm.errors import ReleaseConflictError, ReleaseExistsError, ReleaseNotFoundError
from pyhelm.release import codec
from pyhelm.release.model import Release, storage_key
from pyhelm.release.summary import Summary, summary_of

LOCK_FIELD = "pyhelm_lock"


def warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class Driver(Protocol):
    name: str

    def create(self, release: Release) -> str:
        """Store a new record; its object version."""
        ...

    def update(self, release: Release) -> str:
        """Replace a record if it is still at ``release.resource_version`` (any version
        when that is empty); its new object version."""
        ...

    def get(self, name: str, version: int) -> Release: ...

    def history(self, name: str) -> list[Release]: ...

    def latest(self) -> list[Release]: ...

    def latest_summaries(self) -> list[Summary]:
        """What ``list`` prints of the newest readable revision of every release."""
        ...

    def history_summaries(self, name: str) -> list[Summary]:
        """What ``history`` prints of every readable revision, oldest first."""
        ...

    def newest(self, name: str) -> Release:
        """The newest readable revision; ReleaseNotFoundError when there is none."""
        ...

    def delete(self, name: str, version: int, *, parts: bool = True) -> None:
        """Delete a revision; ``parts=False``: its record, as read, was in one object."""


SYSTEM_LABELS = ("name", "owner", "status", "version", "createdAt", "modifiedAt")


def custom_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """A release's own labels (``install -l``): what is not Helm's or pyhelm's."""
    return {k: v for k, v in labels.items()
            if k not in SYSTEM_LABELS and not k.startswith("pyhelm.sh/")}


def helm_labels(release: Release, modified_at: int) -> dict[str, str]:
    """The labels Helm's drivers write and query: the release's own labels, then Helm's."""
    return {**custom_labels(release.labels), "name": release.name, "owner": "helm",
            "status": str(release.info.status), "version": str(release.version),
            "modifiedAt": str(modified_at)}


class WriteChain:
    """The object versions one writer (a store) itself wrote, as ``read version -> new version``.

    A release read at version A and updated by this process (A -> B) may be updated
    again from the same in-memory copy: its base resolves to B. A version written by
    anyone else is not in the chain, so the update carries a stale version and fails."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], dict[str, str]] = {}
        self._lock = threading.Lock()

    def resolve(self, slot: tuple[str, str], version: str) -> str:
        with self._lock:
            chain = self._next.get(slot, {})
            seen = set()
            while version in chain and version not in seen:
                seen.add(version)
                version = chain[version]
            return version

    def wrote(self, slot: tuple[str, str], base: str, new: str) -> None:
        with self._lock:
            self._next.setdefault(slot, {})[base] = new

    def forget(self, slot: tuple[str, str]) -> None:
        with self._lock:
            self._next.pop(slot, None)


def conflict(release: Release) -> ReleaseConflictError:
    return ReleaseConflictError(
        f'release "{release.name}" revision {release.version} was changed by another '
        "operation since it was read; not overwritten (this operation no longer holds "
        "the release)")


class MemoryDriver:
    """Revisions in this process only: for dry runs, tests and library users."""

    name = "memory"

    def __init__(self, namespace: str = "") -> None:
        self.namespace = namespace
        # (namespace, key) -> (encoded, version)
        self._records: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def _slot(self, release: Release) -> tuple[str, str]:
        return release.namespace, storage_key(release.name, release.version)

    def _bump(self) -> str:
        self._counter += 1
        return str(self._counter)

    def create(self, release: Release) -> str:
        with self._lock:
            slot = self._slot(release)
            if slot in self._records:
                raise ReleaseExistsError(f"{slot[1]} already exists")
            version = self._bump()
            self._records[slot] = (codec.encode(release), version)
            return version

    def update(self, release: Release) -> str:
        with self._lock:
            slot = self._slot(release)
            if slot not in self._records:
                raise ReleaseNotFoundError(f"{slot[1]} not found")
            if release.resource_version and release.resource_version != self._records[slot][1]:
                raise conflict(release)
            version = self._bump()
            self._records[slot] = (codec.encode(release), version)
            return version

    def _matching(self, name: str | None = None) -> list[Release]:
        with self._lock:
            items = list(self._records.items())
        found = []
        for (namespace, key), (encoded, version) in items:
            if self.namespace and namespace != self.namespace:
                continue
            if name is not None and not key.startswith(f"sh.helm.release.v1.{name}.v"):
                continue
            found.append(dataclasses.replace(codec.decode(encoded), resource_version=version))
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

    def latest_summaries(self) -> list[Summary]:
        return [summary_of(r) for r in self.latest()]

    def history_summaries(self, name: str) -> list[Summary]:
        return [summary_of(r) for r in self.history(name)]

    def newest(self, name: str) -> Release:
        found = self.history(name)
        if not found:
            raise ReleaseNotFoundError(f'release "{name}" not found')
        return found[-1]

    def delete(self, name: str, version: int, *, parts: bool = True) -> None:
        with self._lock:
            for slot in [s for s in self._records if s[1] == storage_key(name, version)
                         and (not self.namespace or s[0] == self.namespace)]:
                del self._records[slot]
