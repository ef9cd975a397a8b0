"""Finding stored revisions, with Helm's errors when they are missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyhelm.errors import ReleaseNotFoundError

if TYPE_CHECKING:
    from pyhelm.action.apply import ObjectKey
    from pyhelm.engine.manifest import Manifest
    from pyhelm.release.model import Release
    from pyhelm.storage.store import ReleaseStore


def history(store: ReleaseStore, name: str) -> list[Release]:
    """Every revision of a release, oldest first; an error when there is none."""
    try:
        revisions = list(store.history(name))
    except ReleaseNotFoundError:
        revisions = []
    if not revisions:
        raise ReleaseNotFoundError(f'release "{name}" not found')
    return sorted(revisions, key=lambda r: r.version)


def revision(store: ReleaseStore, name: str, number: int | None = None) -> Release:
    """One revision (default: the latest); only that record is read and decoded."""
    if number is None or number == 0:
        return store.last(name)
    try:
        return store.get(name, number)
    except ReleaseNotFoundError:
        store.last(name)  # Helm's "not found" when there is no such release at all
    raise ReleaseNotFoundError(f'release "{name}" has no revision {number}')


def last_deployed(revisions: list[Release]) -> Release | None:
    deployed = [r for r in revisions if r.state == "deployed"]
    return deployed[-1] if deployed else None


def possibly_live(revisions: list[Release]) -> list[Manifest]:
    """The manifests whose objects may be live: the newest revision that was ever fully
    deployed (deployed or superseded) and every later one, since a failed, interrupted or
    killed operation may have applied part of its objects. Deduplicated by object, the
    newest revision's version of each; heads only (what pruning and deleting read)."""
    from pyhelm.action.records import manifests_of

    ordered = sorted(revisions, key=lambda r: r.version)
    start = 0
    for index, found in enumerate(ordered):
        if found.state in ("deployed", "superseded"):
            start = index
    seen: dict[str, Manifest] = {}
    for found in ordered[start:]:
        for manifest in manifests_of(found, heads_only=True):
            seen[manifest.ref] = manifest
    return list(seen.values())


def deployed_objects(deployed: Release | None, namespace: str) -> frozenset[ObjectKey]:
    """The objects of the deployed revision: applied, and so owned, by the release (the
    ones an upgrade applies without looking them up first, as Helm's)."""
    from pyhelm.action.apply import object_key
    from pyhelm.action.records import manifests_of

    if deployed is None:
        return frozenset()
    return frozenset(object_key(m, namespace) for m in manifests_of(deployed, heads_only=True))
