"""The Secret and ConfigMap drivers: Helm's record objects in the cluster.

A Secret holds ``data.release`` = base64 of the encoded record (Secret data is base64
by definition) with type ``helm.sh/release.v1``; a ConfigMap holds the encoded record
as it is. Every update is conditional on the ``resourceVersion`` the record was read at.
Each object also carries the record's summary (``summary_annotation``): ``list`` and
``history`` read it from one metadata-only list and decode only records without one.

Beyond Helm, a record too large for one object (1 MiB) is chunked so that no crash can
tear it:

* the record *body* (the release with its status fields blanked) is split into parts
  ``<name>.<id>.part<i>`` whose names carry ``id``, a hash of the body, so a write
  never changes an existing part: it creates new ones (owner ``pyhelm``, so Helm never
  lists them);
* the object under Helm's name is written last, conditionally; it holds no payload, only
  ``pyhelm.sh/parts`` (count) and ``pyhelm.sh/parts-id`` labels and the status fields
  (``info`` and the lock) in the ``pyhelm.sh/head`` annotation. A status change
  (superseded, failed, a lease renewal) rewrites only this small object;
* parts no longer referenced are deleted after the head moved on, when a chunked
  revision is created and when a revision is deleted, so a crash leaves at worst
  unreferenced parts. Creating a record that fits one object, or pruning one read in one
  object, does not look for a crashed attempt's parts (that LIST would cost every
  install and upgrade a scan of the namespace's Secrets): those go at uninstall.

A reader sees either the old head with its old parts or the new head with its new parts.
Helm cannot read chunked records; every normal-sized record stays in Helm's format.
Records of the first chunked layout (``<name>.part<i>``, body in the head) are still read.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pyhelm.errors import (
    KubeConflictError,
    KubeNotFoundError,
    PyhelmError,
    ReleaseError,
    ReleaseExistsError,
    ReleaseNotFoundError,
)
from pyhelm.kube.protocol import KubeClient, KubeObject
from pyhelm.release import codec
from pyhelm.release.model import Info, Release, storage_key
from pyhelm.release.status import Status
from pyhelm.release.summary import Summary, summary_of
from pyhelm.storage import summary_annotation
from pyhelm.storage.driver import LOCK_FIELD, conflict, helm_labels, warn_stderr

_T = TypeVar("_T")
_R = TypeVar("_R")

PART_SIZE = 900_000
PARTS_LABEL = "pyhelm.sh/parts"
PARTS_ID_LABEL = "pyhelm.sh/parts-id"
HEAD_ANNOTATION = "pyhelm.sh/head"


def _body_and_head(release: Release) -> tuple[str, dict[str, Any]]:
    """The record without its status fields (stable across status changes), and those."""
    info = release.info
    head = {"first_deployed": codec.format_time(info.first_deployed),
            "last_deployed": codec.format_time(info.last_deployed),
            "deleted": codec.format_time(info.deleted), "description": info.description,
            "status": str(info.status), LOCK_FIELD: release.extra.get(LOCK_FIELD)}
    body = dataclasses.replace(
        release, info=Info(None, None, None, "", Status.UNKNOWN, info.notes,
                           rollback_revision=info.rollback_revision),
        extra={k: v for k, v in release.extra.items() if k != LOCK_FIELD})
    return codec.encode(body), head


def _with_head(release: Release, head: dict[str, Any]) -> Release:
    try:
        status = Status(head.get("status") or "unknown")
    except ValueError:
        status = Status.UNKNOWN
    info = dataclasses.replace(
        release.info, first_deployed=codec.parse_time(head.get("first_deployed")),
        last_deployed=codec.parse_time(head.get("last_deployed")),
        deleted=codec.parse_time(head.get("deleted")),
        description=head.get("description", ""), status=status)
    extra = dict(release.extra)
    if head.get(LOCK_FIELD):
        extra[LOCK_FIELD] = head[LOCK_FIELD]
    return dataclasses.replace(release, info=info, extra=extra)


def _meta(obj: KubeObject) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _first(pair: tuple[int, KubeObject]) -> int:
    return pair[0]


class KubeObjectDriver:
    """Revisions as Secrets (``kind="Secret"``) or ConfigMaps (``kind="ConfigMap"``)."""

    def __init__(self, kube: KubeClient, namespace: str, kind: str = "Secret",
                 clock: Callable[[], float] = time.time,
                 warn: Callable[[str], None] = warn_stderr) -> None:
        self.kube = kube
        self.namespace = namespace
        self.kind = kind
        self.name = "secret" if kind == "Secret" else "configmap"
        self._clock = clock
        self.warn = warn
        self._written_ids: dict[tuple[str, str], tuple[str, str]] = {}  # (rv, parts id)

    # --------------------------------------------------------------- encoding
    def _payload(self, text: str) -> dict[str, Any]:
        if self.kind == "Secret":
            return {"type": "helm.sh/release.v1",
                    "data": {"release": base64.b64encode(text.encode()).decode()}}
        return {"data": {"release": text}}

    def _text(self, obj: KubeObject) -> str:
        value = (obj.get("data") or {}).get("release", "")
        return base64.b64decode(value).decode() if self.kind == "Secret" else value

    def _home(self, release: Release) -> str:
        """The namespace a release's records live in: the driver's (Helm's storage
        namespace, which may differ from the release's, as helm-controller's
        storageNamespace), or the release's for a driver over every namespace."""
        return self.namespace or release.namespace

    def _objects(self, release: Release) -> tuple[KubeObject, list[KubeObject]]:
        """The object under Helm's name, and the parts it points at (if it needs them)."""
        encoded = codec.encode(release)
        key = storage_key(release.name, release.version)
        labels = helm_labels(release, int(self._clock()))
        annotations = {summary_annotation.SUMMARY_ANNOTATION:
                       summary_annotation.annotation(release)}
        home = self._home(release)
        metadata: dict[str, Any] = {"name": key, "namespace": home,
                                    "labels": labels, "annotations": annotations}
        if len(encoded) <= PART_SIZE:
            return {"apiVersion": "v1", "kind": self.kind, "metadata": metadata,
                    **self._payload(encoded)}, []
        body, head = _body_and_head(release)
        parts_id = hashlib.sha256(body.encode()).hexdigest()[:16]
        chunks = [body[i:i + PART_SIZE] for i in range(0, len(body), PART_SIZE)]
        labels[PARTS_LABEL] = str(len(chunks))
        labels[PARTS_ID_LABEL] = parts_id
        annotations[HEAD_ANNOTATION] = json.dumps(head, sort_keys=True)
        main = {"apiVersion": "v1", "kind": self.kind, "metadata": metadata,
                **self._payload("")}
        parts = [{"apiVersion": "v1", "kind": self.kind,
                  "metadata": {"name": f"{key}.{parts_id}.part{index}",
                               "namespace": home,
                               "labels": {"owner": "pyhelm", "name": release.name,
                                          "version": str(release.version),
                                          PARTS_ID_LABEL: parts_id}},
                  **self._payload(chunk)} for index, chunk in enumerate(chunks)]
        return main, parts

    def _decode(self, obj: KubeObject) -> Release:
        meta = _meta(obj)
        labels = dict(meta.get("labels") or {})
        parts = int(labels.get(PARTS_LABEL) or 1)
        parts_id = labels.get(PARTS_ID_LABEL, "")
        name, namespace = meta["name"], meta.get("namespace")
        if parts_id:
            text = "".join(self._part(f"{name}.{parts_id}.part{i}", namespace, name)
                           for i in range(parts))
            if hashlib.sha256(text.encode()).hexdigest()[:16] != parts_id:
                raise ReleaseError(f"record {name} is unreadable: its parts do not match "
                                   f"their checksum {parts_id}")
            head = json.loads((meta.get("annotations") or {}).get(HEAD_ANNOTATION) or "{}")
            release = _with_head(codec.decode(text), head)
        else:  # the first layout: body in the head object, then <name>.part<i>
            text = self._text(obj) + "".join(
                self._part(f"{name}.part{i}", namespace, name) for i in range(1, parts))
            release = codec.decode(text)
        return dataclasses.replace(release, labels=labels,
                                   resource_version=str(meta.get("resourceVersion") or ""))

    def _part(self, part: str, namespace: str | None, record: str) -> str:
        try:
            return self._text(self.kube.get("v1", self.kind, part, namespace))
        except KubeNotFoundError as exc:
            raise ReleaseError(f"record {record} is unreadable: part {part} not found"
                               ) from exc

    # --------------------------------------------------------------- writes
    def create(self, release: Release) -> str:
        main, parts = self._objects(release)
        for part in parts:
            self._put_part(part)
        try:
            created = self.kube.create(main)
        except KubeConflictError as exc:
            raise ReleaseExistsError(f"{main['metadata']['name']} already exists") from exc
        slot = (self._home(release), main["metadata"]["name"])
        version = str(_meta(created).get("resourceVersion") or "")
        self._written_ids[slot] = (version, _meta(main)["labels"].get(PARTS_ID_LABEL, ""))
        if parts:  # a record in one object leaves leftovers to the revision's deletion
            self._sweep(release.name, release.version, _meta(main)["labels"][PARTS_ID_LABEL])
        return version

    def update(self, release: Release) -> str:
        main, parts = self._objects(release)
        key = main["metadata"]["name"]
        slot = (self._home(release), key)
        base = release.resource_version
        if not base:  # an unconditional write: learn the version now
            try:
                base = str(_meta(self.kube.get("v1", self.kind, key, self._home(release)))
                           .get("resourceVersion") or "")
            except KubeNotFoundError as exc:
                raise ReleaseNotFoundError(f"{key} not found") from exc
        old_id = self._current_parts_id(release, slot, base)
        new_id = _meta(main)["labels"].get(PARTS_ID_LABEL)
        if new_id and new_id != old_id:
            for part in parts:  # new names: nothing a reader uses is touched
                self._put_part(part)
        main["metadata"]["resourceVersion"] = base
        # [{}] clears the object's managedFields (server-side apply's bookkeeping, which no
        # one applies to records): 40% of every record's metadata that `list` reads
        main["metadata"]["managedFields"] = [{}]
        try:
            replaced = self.kube.replace(main)
        except KubeNotFoundError as exc:
            raise ReleaseNotFoundError(f"{key} not found") from exc
        except KubeConflictError as exc:
            raise conflict(release) from exc
        version = str(_meta(replaced).get("resourceVersion") or "")
        self._written_ids[slot] = (version, new_id or "")
        if old_id != (new_id or ""):
            self._sweep(release.name, release.version, new_id)
        return version

    def _current_parts_id(self, release: Release, slot: tuple[str, str], base: str) -> str:
        """The parts id of the stored head (from our last write or the labels read, else
        "?": unknown)."""
        written = self._written_ids.get(slot)
        if written and written[0] == base:
            return written[1]
        if release.resource_version == base and release.labels:
            labels = release.labels
            if PARTS_LABEL in labels and PARTS_ID_LABEL not in labels:
                return "?"  # first layout: its parts go once the head moved on
            return labels.get(PARTS_ID_LABEL, "")
        return "?"

    def _put_part(self, obj: KubeObject) -> None:
        # a conflict: same name, so same content (the name is the content's hash)
        with contextlib.suppress(KubeConflictError):
            self.kube.create(obj)

    def _sweep(self, name: str, version: int, keep: str | None) -> None:
        """Delete the parts of one revision that its head does not point at."""
        try:
            found = self._index(f"owner=pyhelm,name={name},version={version}")
        except PyhelmError as exc:
            self.warn(f"could not list the parts of {storage_key(name, version)}: {exc}")
            return
        for obj in found:
            meta = _meta(obj)
            if keep and (meta.get("labels") or {}).get(PARTS_ID_LABEL) == keep:
                continue
            try:
                self.kube.delete("v1", self.kind, meta["name"], meta.get("namespace"))
            except PyhelmError as exc:
                self.warn(f"could not delete the unused part {meta['name']}: {exc}")

    def delete(self, name: str, version: int, *, parts: bool = True) -> None:
        """Delete a revision, the head first (no reader sees it without its parts), then
        its parts, unless the caller read it in one object (``parts=False``)."""
        key = storage_key(name, version)
        self.kube.delete("v1", self.kind, key, self.namespace)
        self._written_ids.pop((self.namespace, key), None)
        if parts:
            self._sweep(name, version, None)

    def sweep_release(self, name: str) -> None:
        """Delete every part of a release none of whose records exist (after uninstall)."""
        if self._index(f"owner=helm,name={name}"):
            return
        for obj in self._index(f"owner=pyhelm,name={name}"):
            self.kube.delete("v1", self.kind, _meta(obj)["name"], _meta(obj).get("namespace"))

    # --------------------------------------------------------------- reads
    def get(self, name: str, version: int) -> Release:
        try:
            obj = self.kube.get("v1", self.kind, storage_key(name, version), self.namespace)
        except KubeNotFoundError as exc:
            raise ReleaseNotFoundError(f'release "{name}" revision {version} not found') \
                from exc
        return self._decode(obj)

    def _readable(self, obj: KubeObject) -> Release | None:
        try:
            return self._decode(obj)
        except ReleaseError as exc:
            self.warn(f"skipping {_meta(obj).get('namespace', '')}/{_meta(obj).get('name')}: "
                      f"{exc}")
            return None

    def history(self, name: str) -> list[Release]:
        objects = self.kube.list("v1", self.kind, self.namespace or None,
                                 label_selector=f"owner=helm,name={name}")
        found = [r for r in (self._readable(o) for o in objects) if r is not None]
        return sorted(found, key=lambda r: r.version)

    def latest(self) -> list[Release]:
        """The newest readable revision of every release, decoding only those."""
        found = _parallel_map(self._newest_readable, self._by_release("owner=helm").values(),
                              workers=16)
        return [r for r in found if r is not None]

    def latest_summaries(self) -> list[Summary]:
        """What ``list`` prints of every release, from one metadata-only list; only records
        without a usable summary annotation are fetched and decoded."""
        summaries: list[Summary] = []
        undecided: list[list[KubeObject]] = []
        for candidates in self._by_release("owner=helm").values():
            summary = summary_annotation.read(_meta(candidates[0]))
            if summary is not None:
                summaries.append(summary)
            else:
                undecided.append(candidates)
        if undecided:
            summaries += [s for s in _parallel_map(self._newest_summary, undecided, workers=16)
                          if s is not None]
        return summaries

    def history_summaries(self, name: str) -> list[Summary]:
        """What ``history`` prints of every revision, decoding only records without a
        usable summary annotation."""
        selector = f"owner=helm,name={name}"
        summaries: list[Summary] = []
        missing: list[KubeObject] = []
        for obj in self._index(selector):
            summary = summary_annotation.read(_meta(obj))
            if summary is not None and summary.description is not None:
                summaries.append(summary)
            else:
                missing.append(obj)
        if len(missing) > 8:  # many of Helm's records: one list beats a GET each
            wanted = {_meta(o)["name"] for o in missing}
            objects = [o for o in self.kube.list("v1", self.kind, self.namespace or None,
                                                 label_selector=selector)
                       if _meta(o)["name"] in wanted]
            decoded = [self._readable(o) for o in objects]
        elif missing:
            decoded = _parallel_map(self._fetch, missing, workers=8)
        else:
            decoded = []
        summaries += [summary_of(r) for r in decoded if r is not None]
        return sorted(summaries, key=lambda s: s.version)

    def newest(self, name: str) -> Release:
        """The newest readable revision of one release: one metadata list, then GETs from
        the newest down until one decodes."""
        groups = self._by_release(f"owner=helm,name={name}")
        candidates = next((c for (_, release), c in groups.items() if release == name), [])
        found = self._newest_readable(candidates)
        if found is None:
            raise ReleaseNotFoundError(f'release "{name}" not found')
        return found

    def _newest_summary(self, candidates: list[KubeObject]) -> Summary | None:
        for obj in candidates:
            summary = summary_annotation.read(_meta(obj))
            if summary is None:
                found = self._fetch(obj)
                summary = summary_of(found) if found is not None else None
            if summary is not None:
                return summary
        return None

    def _newest_readable(self, candidates: list[KubeObject]) -> Release | None:
        for obj in candidates:
            found = self._fetch(obj)
            if found is not None:
                return found
        return None

    def _fetch(self, listed: KubeObject) -> Release | None:
        """A listed record, read whole and decoded; None when gone or unreadable."""
        meta = _meta(listed)
        try:
            return self._readable(self.kube.get("v1", self.kind, meta["name"],
                                                meta.get("namespace")))
        except KubeNotFoundError:
            return None  # deleted since it was listed

    def _by_release(self, selector: str) -> dict[tuple[str, str], list[KubeObject]]:
        """The listed records of each (namespace, release), newest first."""
        grouped: dict[tuple[str, str], list[tuple[int, KubeObject]]] = {}
        for obj in self._index(selector):  # 10,000s of records: kept to plain lookups
            meta = obj.get("metadata") or {}
            labels = meta.get("labels") or {}
            version = labels.get("version", "")
            if not version.isdigit():
                continue
            key = (meta.get("namespace", ""), labels.get("name", ""))
            grouped.setdefault(key, []).append((int(version), obj))
        return {key: [obj for _, obj in sorted(found, key=_first, reverse=True)]
                for key, found in grouped.items()}

    def _index(self, selector: str) -> list[KubeObject]:
        """The metadata of the objects the selector picks (records or their parts)."""
        return self.kube.list_metadata("v1", self.kind, self.namespace or None,
                                       label_selector=selector)


def _parallel_map(function: Callable[[_T], _R], items: Iterable[_T], *, workers: int
                  ) -> list[_R]:
    """``function`` over ``items`` on a thread pool (GETs wait on the server, not the GIL);
    concurrent.futures is imported here, by the few listings that need it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
