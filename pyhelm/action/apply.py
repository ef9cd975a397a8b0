"""Applying a release's manifest set to the cluster, and pruning what it dropped.

Owns the release-ownership marks (Helm's ``meta.helm.sh/release-*`` annotations and the
``app.kubernetes.io/managed-by: Helm`` label, so Helm can adopt what pyhelm applied),
the ownership check before an object is taken over, the grouping of manifests by Helm's
kind order (one group is applied concurrently, groups in order), the prune plan of an
upgrade or rollback, and deletion in reverse kind order honouring
``helm.sh/resource-policy: keep``. Planning functions are pure; the two executors take
a ``KubeClient``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from typing import Any, TypeVar

from pyhelm.engine.manifest import Manifest, install_order, kind_rank, uninstall_order
from pyhelm.errors import DeleteError, KubeConflictError, KubeError, KubeNotFoundError
from pyhelm.kube.protocol import KubeClient, KubeObject

RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "Helm"  # Helm refuses to adopt objects whose label says anything else
RESOURCE_POLICY_ANNOTATIONS = ("helm.sh/resource-policy", "pyhelm.sh/resource-policy")
# Helm applies as "helm" (its binary's name). pyhelm applies as the same manager so a
# release moves between the two tools as if one tool managed it: no conflicts on fields
# the API server omits when zero, and a field one tool drops is removed when the other
# set it.
FIELD_MANAGER = "helm"
# Objects of one kind group in flight at once (Helm starts them all). A busy API server
# shares its CPU among the requests in flight, so more of them finish a large install
# sooner while the controllers react to it: at 1000 services on 2 cores, medians of
# 18.7 s with 32 and 21.5 s with 8 (11 and 12 runs). The transport keeps 32 idle.
MAX_WORKERS = 32

ObjectKey = tuple[str, str, str, str]  # (group, kind, namespace, name)


@dataclass(frozen=True)
class ReleaseRef:
    """The release that owns the objects being applied."""

    name: str
    namespace: str


def object_key(manifest: Manifest, default_namespace: str, namespaced: bool = True
               ) -> ObjectKey:
    """Identity of the object a manifest describes; the API version's group only, so a
    version bump of the same kind is the same object."""
    group = manifest.api_version.rpartition("/")[0]
    namespace = (manifest.namespace or default_namespace) if namespaced else ""
    return group, manifest.kind, namespace, manifest.name


def stamp_ownership(obj: KubeObject, release: ReleaseRef, namespace: str | None = None
                    ) -> KubeObject:
    """A copy of obj carrying the release's annotations and managed-by label (and the
    namespace, when given). Only the top level and ``metadata`` are copied: the copy is
    made to be sent, and deep-copying every object of a large release cost more CPU than
    encoding it."""
    metadata = dict(obj.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}),
                               RELEASE_NAME_ANNOTATION: release.name,
                               RELEASE_NAMESPACE_ANNOTATION: release.namespace}
    metadata["labels"] = {**(metadata.get("labels") or {}), MANAGED_BY_LABEL: MANAGED_BY_VALUE}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {**obj, "metadata": metadata}


def ownership_problem(live: KubeObject, release: ReleaseRef) -> str | None:
    """Why live may not be taken over by release, or None when it belongs to it."""
    metadata = live.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    owner = annotations.get(RELEASE_NAME_ANNOTATION)
    owner_namespace = annotations.get(RELEASE_NAMESPACE_ANNOTATION)
    if owner is None:
        return "it exists and is not managed by any release"
    if (owner, owner_namespace) != (release.name, release.namespace):
        return f'it belongs to release "{owner}" in namespace "{owner_namespace}"'
    return None


def keeps_on_delete(manifest: Manifest) -> bool:
    return any((manifest.annotations.get(key) or "").strip().lower() == "keep"
               for key in RESOURCE_POLICY_ANNOTATIONS)


def owned_by(live: KubeObject, release: ReleaseRef) -> bool:
    """Whether the release owns the object as Helm 4.3 checks before deleting it: the
    managed-by label and both release annotations."""
    metadata = live.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    return ((metadata.get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE
            and annotations.get(RELEASE_NAME_ANNOTATION) == release.name
            and annotations.get(RELEASE_NAMESPACE_ANNOTATION) == release.namespace)


def kind_groups(manifests: Iterable[Manifest]) -> list[list[Manifest]]:
    """Manifests in install order, split into runs of equal kind rank."""
    ordered = install_order(manifests)
    return [list(group) for _, group in groupby(ordered, key=lambda m: kind_rank(m.kind))]


def prune_plan(previous: Iterable[Manifest], current: Iterable[Manifest],
               default_namespace: str) -> list[Manifest]:
    """Objects of the previous revision the current one no longer renders, in uninstall
    order, leaving out those marked ``resource-policy: keep``."""
    wanted = {object_key(m, default_namespace) for m in current}
    dropped = [m for m in previous
               if object_key(m, default_namespace) not in wanted and not keeps_on_delete(m)]
    return uninstall_order(dropped)


def namespace_of(kube: KubeClient, manifest: Manifest, default_namespace: str
                  ) -> str | None:
    """The namespace the object lives in; None for a cluster-scoped kind. Raises
    KubeNotFoundError for a kind the server does not serve."""
    if kube.resource_for(manifest.api_version, manifest.kind).namespaced:
        return manifest.namespace or default_namespace
    return None


@dataclass(frozen=True, kw_only=True)
class ApplySettings:
    release: ReleaseRef
    take_ownership: bool = False
    force_conflicts: bool = False
    force_replace: bool = False  # replace existing objects whole (PUT), Helm's --force-replace
    dry_run: bool = False
    max_workers: int = MAX_WORKERS
    owned: frozenset[ObjectKey] = frozenset()  # the release's own (see RolloutSettings)


# A kind with at least this many objects of a release in one namespace is looked up with
# one metadata-only LIST instead of a GET per object (1000 Services: 1 request, not 1000).
BULK_LOOKUP = 20
_UNKNOWN: Any = object()  # not looked up in bulk: GET it

Known = dict[tuple[str, str, str | None], dict[str, KubeObject]]


def _to_look_up(manifest: Manifest, settings: ApplySettings) -> bool:
    """Whether the live object is read before it is applied: unless it is the release's
    own (replacing it whole needs its version)."""
    return settings.force_replace or \
        object_key(manifest, settings.release.namespace) not in settings.owned


def _check_ownership(kube: KubeClient, manifest: Manifest, namespace: str | None, live: Any,
                     settings: ApplySettings) -> KubeObject | None:
    """The live object (None when there is none), refused when another owner has it
    (unless adopting it)."""
    try:
        if live is _UNKNOWN:
            live = kube.get(manifest.api_version, manifest.kind, manifest.name, namespace)
    except KubeNotFoundError:
        return None
    if live is None:
        return None
    problem = ownership_problem(live, settings.release)
    if problem and not settings.take_ownership:
        raise KubeConflictError(
            f"{manifest.template}: cannot apply {manifest.ref}: {problem} "
            "(use --take-ownership to adopt it)")
    result: KubeObject = live
    return result


def _apply_one(kube: KubeClient, manifest: Manifest, settings: ApplySettings,
               known: Known | None = None) -> tuple[KubeObject, bool]:
    """Apply one manifest; returns the result and whether the object is new."""
    namespace = namespace_of(kube, manifest, settings.release.namespace)
    obj = stamp_ownership(manifest.obj, settings.release, namespace)
    created = False
    listed = (known or {}).get((manifest.api_version, manifest.kind, namespace))
    live: Any = _UNKNOWN if listed is None else listed.get(manifest.name)
    if live is not _UNKNOWN or _to_look_up(manifest, settings):
        live = _check_ownership(kube, manifest, namespace, live, settings)
        created = live is None
    # else the deployed revision's object: its own, not new, applied unread
    try:
        if settings.force_replace and not created and not settings.dry_run:
            whole = {**obj, "metadata": {**obj["metadata"],
                                         "resourceVersion": live["metadata"]["resourceVersion"]}}
            return kube.replace(whole), created
        result = kube.apply(obj, field_manager=FIELD_MANAGER,
                            force=settings.force_conflicts, dry_run=settings.dry_run)
    except KubeConflictError as exc:
        raise KubeConflictError(
            f"{manifest.template}: {manifest.ref}: {exc} "
            "(use --force-conflicts to take the conflicting fields)",
            status=exc.status, reason=exc.reason, details=exc.details) from exc
    return result, created


@dataclass
class ApplyOutcome:
    applied: list[KubeObject]
    created: list[Manifest]


def apply_manifests(kube: KubeClient, manifests: Sequence[Manifest], settings: ApplySettings,
                    outcome: ApplyOutcome | None = None) -> ApplyOutcome:
    """Server-side apply in kind order; one kind group at a time, its members in parallel.

    ``outcome`` (when given) is filled group by group, also when a group fails or is
    interrupted, so a caller that catches a failure still knows which objects this run
    created (for --cleanup-on-fail)."""
    outcome = outcome if outcome is not None else ApplyOutcome([], [])
    for group in kind_groups(manifests):
        known = _bulk_lookup(kube, [m for m in group if _to_look_up(m, settings)],
                             settings.release.namespace)
        results: dict[int, tuple[KubeObject, bool] | BaseException] = {}
        first_error: BaseException | None = None
        try:
            _in_parallel(partial(_apply_one, kube, settings=settings, known=known), group,
                         settings.max_workers, results)
        finally:
            for index, manifest in enumerate(group):
                result = results.get(index)
                if result is None:
                    continue  # not started: the run was interrupted
                if isinstance(result, BaseException):
                    first_error = first_error or result
                    continue
                applied, created = result
                outcome.applied.append(applied)
                if created:
                    outcome.created.append(manifest)
        if first_error is not None:
            raise first_error  # once the whole group has settled
    return outcome


_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def _in_parallel(work: Callable[[_Item], _Result], items: Sequence[_Item], workers: int,
                results: dict[int, _Result | BaseException]) -> None:
    """work(item) for every item on up to ``workers`` threads, each result (or the
    exception it raised) stored under the item's index.

    Threads take the next index from a shared queue: a future per item (as with
    ThreadPoolExecutor) cost more CPU than the item's own request once a group has
    thousands of objects. When the caller is interrupted (Ctrl-C), no further item is
    started and the ones under way finish before the interrupt goes on."""
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(items)):
        pending.put(index)
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = work(items[index])
            except BaseException as exc:  # handed to the caller with the item's index
                results[index] = exc

    threads = [threading.Thread(target=drain, name=f"pyhelm-worker-{n}")
               for n in range(max(1, min(workers, len(items))))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        for thread in threads:
            if thread.is_alive():  # one never started, or already done, is not waited for
                thread.join()


def _bulk_lookup(kube: KubeClient, group: Sequence[Manifest], default_namespace: str
                 ) -> Known:
    """The live metadata of the kinds the group has many objects of, by name."""
    counts: dict[tuple[str, str, str | None], int] = {}
    for manifest in group:
        try:
            key = (manifest.api_version, manifest.kind,
                   namespace_of(kube, manifest, default_namespace))
        except KubeNotFoundError:
            continue  # _apply_one reports it
        counts[key] = counts.get(key, 0) + 1
    known: Known = {}
    for (api_version, kind, namespace), count in counts.items():
        if count >= BULK_LOOKUP:
            items = kube.list_metadata(api_version, kind, namespace)
            known[(api_version, kind, namespace)] = {
                str((item.get("metadata") or {}).get("name")): item for item in items}
    return known


def delete_manifests(kube: KubeClient, manifests: Iterable[Manifest], default_namespace: str,
                     *, honour_keep: bool = True, failures: list[str] | None = None,
                     propagation: str = "Background"
                     ) -> list[str]:
    """Delete in the order given (callers pass uninstall order); returns refs deleted.
    Kinds the server no longer knows are skipped: nothing of them can be left. A refused
    delete does not stop the others: each failure is collected as "ref: cause" into
    ``failures`` when given, else raised together at the end (``DeleteError``)."""
    deleted: list[str] = []
    failed: list[str] = [] if failures is None else failures
    start = len(failed)
    for manifest in manifests:
        if honour_keep and keeps_on_delete(manifest):
            continue
        try:
            namespace = namespace_of(kube, manifest, default_namespace)
        except KubeNotFoundError:
            continue
        try:
            if kube.delete(manifest.api_version, manifest.kind, manifest.name, namespace,
                           propagation=propagation):
                deleted.append(manifest.ref)
        except KubeError as exc:
            failed.append(f"{manifest.ref}: {_cause(exc, manifest.ref)}")
    if failures is None and len(failed) > start:
        raise DeleteError(describe_delete_failures(failed[start:]), failed[start:], deleted)
    return deleted


def _cause(exc: KubeError, ref: str) -> str:
    text = str(exc)
    kind_name = ref.split("/", 1)[0] + "/" + ref.rsplit("/", 1)[-1]
    return text.removeprefix(f"{kind_name}: ")


def describe_delete_failures(failures: list[str]) -> str:
    noun = "object" if len(failures) == 1 else "objects"
    return f"could not delete {len(failures)} {noun}: " + "; ".join(failures)


@dataclass(frozen=True)
class Skipped:
    """An object a deletion leaves alone."""

    manifest: Manifest
    namespace: str  # where it lives; "" for a cluster-scoped kind
    error: str = ""  # why it could not be read; "": it is another owner's


@dataclass(frozen=True)
class Ownership:
    """A release's objects sorted before deletion (those already gone are in none)."""

    owned: tuple[Manifest, ...]
    not_owned: tuple[Skipped, ...]
    unverified: tuple[Skipped, ...]


def sort_by_ownership(kube: KubeClient, manifests: Sequence[Manifest], release: ReleaseRef,
                      default_namespace: str) -> Ownership:
    """Read each object (in parallel, the order of ``manifests`` kept) and sort it by
    whether ``release`` owns it: Helm 4.3 deletes only owned objects, and leaves one it
    cannot read."""
    def verdict(manifest: Manifest) -> Manifest | Skipped | None:  # None: already gone
        namespace = manifest.namespace or default_namespace
        try:
            namespace = namespace_of(kube, manifest, default_namespace) or ""
            live = kube.get(manifest.api_version, manifest.kind, manifest.name,
                            namespace or None)
        except KubeNotFoundError:
            return None
        except KubeError as exc:
            return Skipped(manifest, namespace, str(exc) or type(exc).__name__)
        return manifest if owned_by(live, release) else Skipped(manifest, namespace)

    results: dict[int, Manifest | Skipped | BaseException | None] = {}
    _in_parallel(verdict, manifests, MAX_WORKERS, results)
    owned: list[Manifest] = []
    not_owned: list[Skipped] = []
    unverified: list[Skipped] = []
    for index in range(len(manifests)):
        result = results[index]
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, Manifest):
            owned.append(result)
        elif isinstance(result, Skipped):
            (unverified if result.error else not_owned).append(result)
    return Ownership(tuple(owned), tuple(not_owned), tuple(unverified))


def live_objects(kube: KubeClient, manifests: Iterable[Manifest], default_namespace: str
                 ) -> list[tuple[Manifest, KubeObject | None]]:
    """Each manifest with its live object (None when absent)."""
    found: list[tuple[Manifest, Any]] = []
    for manifest in manifests:
        try:
            namespace = namespace_of(kube, manifest, default_namespace)
            found.append((manifest, kube.get(manifest.api_version, manifest.kind,
                                             manifest.name, namespace)))
        except KubeNotFoundError:
            found.append((manifest, None))
    return found
