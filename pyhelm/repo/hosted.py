"""A chart repository kept in a storage backend, consistent across server replicas.

Design (README, "Hosting a chart repository"): the objects are the truth, the index is
derived from them.

- A package is stored as ``NAME-VERSION.tgz`` with **put-if-absent**, so of two
  replicas storing the same version exactly one wins (the other answers 409), unless
  overwriting is allowed. Its provenance file is ``NAME-VERSION.tgz.prov``.
- Next to each package a metadata object ``.pyhelm/meta/NAME-VERSION.tgz.json`` holds its
  index entry (Chart.yaml fields, digest, created) and the etag of the package it
  describes. A package without metadata, or whose metadata names another etag (a crash
  between the two writes, a package copied in by hand), gets it regenerated from the
  package by whichever replica notices first.
- ``index.yaml`` is rebuilt from the listing: the fingerprint of the listing is a hash of
  every package's and metadata object's key and etag. A replica lists at most once per
  ``index_ttl`` seconds (and at once after its own writes); when the fingerprint changed
  it rebuilds the index from metadata (cached by etag, so only new objects are read)
  and stores it as ``index.yaml`` carrying the fingerprint in its ``annotations``.
  The index is a pure function of the listing (``generated`` is the newest ``created``),
  so replicas that saw the same listing serve byte-identical indexes with the same ETag.
- A stored ``index.yaml`` whose annotation matches the current fingerprint is served
  as stored (another replica wrote it, or an operator edited it in place).
- One bad object never fails the index: a package that is not a chart, or whose
  metadata object could not be named, is left out (a warning says so, once). A package
  that could not be read (a storage error) is left out too, but the index then carries
  no fingerprint: no replica adopts it, and this one retries after ``index_ttl``.
- Package names are Helm's ``NAME-VERSION.tgz``, so two charts can claim one name
  (``a-1.0.0`` 1.0.0 and ``a`` 1.0.0-1.0.0): the second upload is refused, and a
  delete removes a package only when it holds the chart named.
- With a keyring (``repo serve --require-signature``) an upload is stored only with a
  ``.prov`` that verifies against it (400 with the reason otherwise); who signed is kept
  in the metadata object, and ``signatures()`` (``GET /provenance.yaml``) says which
  versions have a ``.prov`` and which this server verified.

Limits: an upload through one replica shows in another's index after at most
``index_ttl`` plus one listing; listing cost grows with the number of objects (one
LIST per ttl per replica, paginated by 1,000 on S3); deleting races with a concurrent
re-upload of the same version like any last-writer-wins store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyhelm.chart.loader import load_archive_bytes
from pyhelm.chart.model import Chart
from pyhelm.errors import (
    ChartError,
    ProvenanceError,
    PyhelmError,
    RepoError,
    UploadError,
    VersionExists,
)
from pyhelm.release.codec import format_time
from pyhelm.repo.index import ChartVersion, Index, load_index, package_metadata
from pyhelm.repo.storage import (
    MAX_PART_BYTES,
    InvalidKey,
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageError,
    check_key,
)

META_PREFIX = ".pyhelm/meta/"
INDEX_KEY = "index.yaml"
FINGERPRINT = "pyhelm.io/listing-digest"
INCOMPLETE = "incomplete"  # the fingerprint of an index that left out unreadable packages
# Helm's chart-name characters (pkg/chart/v2/util/create.go), starting with a letter or digit
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The longest name derived from a chart is NAME-VERSION.tgz.json (or .tgz.prov):
# 128 + 1 + 100 + 9 = 238 bytes, within a file name's 255.
MAX_NAME = 128
MAX_VERSION = 100
assert MAX_NAME + MAX_VERSION + len("-.tgz.json") <= MAX_PART_BYTES
_PROV_FILE = re.compile(rb"^\s+([^\s:]+\.tgz):\s*sha256:[0-9a-f]{64}\s*$", re.MULTILINE)


@dataclass(frozen=True)
class IndexSnapshot:
    fingerprint: str
    index: Index
    body: bytes
    gzipped: bytes
    etag: str
    stored_etag: str  # the etag of the index.yaml object it matches


log = logging.getLogger(__name__)


def package_key(name: str, version: str) -> str:
    """``NAME-VERSION.tgz`` for a chart that may be stored: names and versions short
    enough that every object named after them fits in a file name."""
    for what, value, limit in (("name", name, MAX_NAME), ("version", version, MAX_VERSION)):
        if len(value) > limit:
            raise UploadError(f"chart {what} is {len(value)} characters long: at most "
                              f"{limit} (every file a chart is stored as must fit in "
                              f"{MAX_PART_BYTES} bytes)")
    return _stored_key(name, version)


def _stored_key(name: str, version: str) -> str:
    """``NAME-VERSION.tgz`` for any well-formed name and version (charts stored before
    the length limits included)."""
    for part in (name, version):
        if not _NAME.match(part) or ".." in part:
            raise UploadError(f"invalid chart name or version {part!r}")
    return f"{name}-{version}.tgz"


def _is_package(key: str) -> bool:
    return key.endswith(".tgz") and not key.startswith(".pyhelm/")


def _check_schemas(chart: Chart, source: str) -> None:
    """Every values.schema.json of the tree is JSON: a chart whose schema cannot be read
    could never be installed (Helm's loader leaves that to the install)."""
    if chart.schema is not None:
        try:
            json.loads(chart.schema)
        except ValueError as exc:
            raise ChartError(f"{source}/values.schema.json: invalid JSON: {exc}") from exc
    for sub in chart.subcharts:
        _check_schemas(sub, f"{source}/charts/{sub.name}")


def _fingerprint(packages: dict[str, ObjectInfo], metas: dict[str, ObjectInfo]) -> str:
    digest = hashlib.sha256()
    for info in sorted((*packages.values(), *metas.values()), key=lambda o: o.key):
        digest.update(f"{info.key}\0{info.etag}\n".encode())
    return digest.hexdigest()


class HostedRepository:
    """Packages, provenance and the derived index of one repository in ``storage``."""

    def __init__(self, storage: Storage, *, url: str = "", allow_overwrite: bool = False,
                 index_ttl: float = 1.0,
                 on_rebuild: Callable[[], None] | None = None,
                 verify_keyring: Path | None = None) -> None:
        self.storage = storage
        # --require-signature: uploads need a .prov that verifies against this keyring
        self.verify_keyring = verify_keyring
        self._keys: list[Any] | None = None
        self._signers: dict[str, dict[str, Any]] = {}  # package key -> verified signer
        self.url = url.rstrip("/")
        self.allow_overwrite = allow_overwrite
        self.index_ttl = index_ttl
        self._on_rebuild = on_rebuild or (lambda: None)
        self._meta_cache: dict[tuple[str, str, str], ChartVersion] = {}
        self._snapshot: IndexSnapshot | None = None
        self._left_out: set[tuple[str, str]] = set()  # (key, etag) already warned about
        self._checked = 0.0
        self._dirty = True
        self._refresh_lock = threading.Lock()

    # -- index -------------------------------------------------------------------------

    def index(self) -> IndexSnapshot:
        """The current index: cached for ``index_ttl``; one refresh at a time. Readers
        wait for a refresh only after this replica's own writes (read your writes);
        otherwise they serve the previous snapshot while another thread relists."""
        if self._fresh():
            return self._snapshot  # type: ignore[return-value]
        if self._snapshot is not None and not self._dirty:
            if not self._refresh_lock.acquire(blocking=False):
                return self._snapshot
        else:
            self._refresh_lock.acquire()
        try:
            if self._fresh():
                return self._snapshot  # type: ignore[return-value]
            return self._refresh()
        finally:
            self._refresh_lock.release()

    def _fresh(self) -> bool:
        return self._snapshot is not None and not self._dirty and \
            time.monotonic() - self._checked < self.index_ttl

    def invalidate(self) -> None:
        self._dirty = True

    def _refresh(self) -> IndexSnapshot:
        self._dirty = False  # writes after this point set it again
        listing = self.storage.list()
        self._checked = time.monotonic()
        packages = {o.key: o for o in listing if _is_package(o.key)}
        metas = {o.key: o for o in listing if o.key.startswith(META_PREFIX)}
        stored = next((o for o in listing if o.key == INDEX_KEY), None)
        fingerprint = _fingerprint(packages, metas)
        current = self._snapshot
        if current and current.fingerprint == fingerprint and stored and \
                stored.etag == current.stored_etag:
            return current
        if stored:
            adopted = self._adopt(stored, fingerprint)
            if adopted:
                self._snapshot = adopted
                return adopted
        entries, regenerated, complete = self._entries(packages, metas)
        if regenerated:  # the index describes the listing as it is after these writes
            metas.update(regenerated)
            fingerprint = _fingerprint(packages, metas)
        if not complete:  # matches no listing: never adopted, rebuilt after index_ttl
            fingerprint = INCOMPLETE
        index = Index()
        index.add_all(entries)
        index.generated = max((e.created for e in entries), default=format_time(
            datetime.fromtimestamp(0, UTC)))
        index.annotations = {FINGERPRINT: fingerprint}
        body = index.to_yaml().encode()
        if current and stored and stored.etag == current.stored_etag and \
                body == current.body:
            return current  # an incomplete index retried, still the same: not rewritten
        info = self.storage.put(INDEX_KEY, body)
        self._on_rebuild()
        self._snapshot = self._make_snapshot(fingerprint, index, body, info.etag)
        return self._snapshot

    def _adopt(self, stored: ObjectInfo, fingerprint: str) -> IndexSnapshot | None:
        """The stored index.yaml, when it was made from this very listing."""
        try:
            body = self.storage.get(INDEX_KEY)
            index = load_index(body, INDEX_KEY)
        except (ObjectNotFound, RepoError):
            return None
        if index.annotations.get(FINGERPRINT) != fingerprint:
            return None
        return self._make_snapshot(fingerprint, index, body, stored.etag)

    @staticmethod
    def _make_snapshot(fingerprint: str, index: Index, body: bytes,
                       stored_etag: str) -> IndexSnapshot:
        return IndexSnapshot(fingerprint, index, body, gzip.compress(body, 6, mtime=0),
                             '"' + hashlib.sha256(body).hexdigest() + '"', stored_etag)

    def _previous_created(self) -> dict[str, str]:
        snapshot = self._snapshot
        if snapshot is None:
            try:
                snapshot_index = load_index(self.storage.get(INDEX_KEY), INDEX_KEY)
            except (ObjectNotFound, RepoError):
                return {}
        else:
            snapshot_index = snapshot.index
        return {v.digest: v.created for vs in snapshot_index.entries.values() for v in vs}

    def _entries(self, packages: dict[str, ObjectInfo], metas: dict[str, ObjectInfo]
                 ) -> tuple[list[ChartVersion], dict[str, ObjectInfo], bool]:
        """Every package's index entry, the metadata objects written meanwhile, and
        whether no package was left out for a storage error."""
        entries: list[ChartVersion] = []
        regenerated: dict[str, ObjectInfo] = {}
        previous: dict[str, str] | None = None
        left_out: dict[tuple[str, str], str] = {}
        complete = True
        for key, info in packages.items():
            meta_key = META_PREFIX + key + ".json"
            try:
                check_key(meta_key)
                meta = metas.get(meta_key)
                entry = self._read_meta(meta_key, meta, info) if meta else None
                if entry is None:
                    if previous is None:
                        previous = self._previous_created()
                    made = self._regenerate_meta(key, info, previous)
                    if made is None:
                        continue
                    entry, regenerated[meta_key] = made
            except InvalidKey:
                left_out[key, info.etag] = "the name of its metadata object is too long"
                continue
            except StorageError as exc:
                left_out[key, info.etag] = str(exc)
                complete = False
                continue
            except (PyhelmError, RecursionError) as exc:
                left_out[key, info.etag] = f"not a chart: {exc}"
                continue
            entries.append(entry)
        for (key, etag), reason in left_out.items():
            if (key, etag) not in self._left_out:
                log.warning("%s left out of index.yaml: %s", key, reason)
        self._left_out = set(left_out)
        live = {(k, m.etag, packages[k[len(META_PREFIX):-5]].etag)
                for k, m in {**metas, **regenerated}.items()
                if k[len(META_PREFIX):-5] in packages}
        self._meta_cache = {k: v for k, v in self._meta_cache.items() if k in live}
        return entries, regenerated, complete

    def _entry(self, data: dict[str, Any]) -> ChartVersion:
        if isinstance(data.get("provenance"), dict):
            self._signers[str(data["package"])] = data["provenance"]
        link = f"{self.url}/{data['package']}" if self.url else str(data["package"])
        return ChartVersion(dict(data["metadata"]), [link], str(data["digest"]),
                            str(data["created"]))

    def _read_meta(self, key: str, meta: ObjectInfo, package: ObjectInfo) -> ChartVersion | None:
        cached = self._meta_cache.get((key, meta.etag, package.etag))
        if cached is None:
            try:
                data = json.loads(self.storage.get(key))
            except (ObjectNotFound, ValueError):
                return None
            if data.get("package_etag") != package.etag:
                return None  # describes another package under this key: regenerate
            cached = self._entry(data)
            self._meta_cache[(key, meta.etag, package.etag)] = cached
        return cached

    def _regenerate_meta(self, key: str, info: ObjectInfo, previous: dict[str, str]
                         ) -> tuple[ChartVersion, ObjectInfo] | None:
        try:
            data = self.storage.get(key)
        except ObjectNotFound:
            return None  # deleted meanwhile
        metadata = package_metadata(data, key)  # ChartError: not a chart, never indexed
        digest = hashlib.sha256(data).hexdigest()
        created = previous.get(digest) or format_time(datetime.fromtimestamp(info.mtime, UTC))
        record = self._meta_record(key, metadata, digest, created, info.etag)
        meta = self.storage.put(META_PREFIX + key + ".json", record)
        entry = self._entry(json.loads(record))
        self._meta_cache[(meta.key, meta.etag, info.etag)] = entry
        return entry, meta

    @staticmethod
    def _meta_record(key: str, metadata: dict[str, Any], digest: str, created: str,
                     package_etag: str, signer: dict[str, Any] | None = None) -> bytes:
        record = {"package": key, "metadata": metadata, "digest": digest,
                  "created": created, "package_etag": package_etag}
        if signer is not None:
            record["provenance"] = signer
        return json.dumps(record, sort_keys=True, default=str).encode()

    # -- provenance --------------------------------------------------------------------

    def _verify(self, key: str, data: bytes, prov: bytes | None) -> dict[str, Any] | None:
        """With a keyring, the upload's provenance must verify (400 with the reason
        otherwise); returns who signed it, to keep in the metadata."""
        if self.verify_keyring is None:
            return None
        from pyhelm.repo import provenance

        if prov is None:
            raise UploadError(f"{key}: this repository accepts only signed charts: send "
                              f"its .prov too (multipart field \"prov\")")
        if self._keys is None:
            self._keys = provenance.load_keyring(self.verify_keyring)
        try:
            verified = provenance.verify(data, prov, key, self._keys)
        except ProvenanceError as exc:
            raise UploadError(f"{key}: provenance does not verify: {exc}") from exc
        return {"signedBy": list(verified.signed_by), "fingerprint": verified.fingerprint}

    def signatures(self) -> dict[str, Any]:
        """``provenance.yaml``: for each version of the index, whether a ``.prov`` is
        stored beside it and, when this server verified it at upload, who signed it."""
        snapshot = self.index()
        provs = {o.key[:-len(".prov")] for o in self.storage.list()
                 if o.key.endswith(".tgz.prov")}
        entries: dict[str, list[dict[str, Any]]] = {}
        for name, versions in sorted(snapshot.index.entries.items()):
            for version in versions:
                key = package_key(name, version.version)
                item: dict[str, Any] = {"version": version.version,
                                        "digest": version.digest, "signed": key in provs}
                signer = self._signers.get(key)
                if signer and key in provs:
                    item.update(verified=True, **signer)
                entries.setdefault(name, []).append(item)
        return {"apiVersion": "v1", "requireSignature": self.verify_keyring is not None,
                "entries": entries}

    # -- reads -------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        return self.storage.get(key)

    # -- writes ------------------------------------------------------------------------

    def upload(self, data: bytes, prov: bytes | None = None) -> ChartVersion:
        """Validate and store a package (and its provenance file): put-if-absent unless
        overwriting is allowed, then its metadata."""
        try:
            chart = load_archive_bytes(data, "upload")
            metadata = package_metadata(data, "upload")
            _check_schemas(chart, "upload")
        except PyhelmError as exc:
            raise UploadError(f"not a valid chart: {exc}") from exc
        except RecursionError as exc:  # e.g. a values.schema.json 50,000 arrays deep
            raise UploadError("not a valid chart: a file in it is nested too deeply") from exc
        name, version = chart.metadata.name, chart.metadata.version
        key = package_key(name, version)
        signer = self._verify(key, data, prov)  # before anything is stored
        info = self._store_package(key, (name, version), data)
        self.invalidate()
        if prov is not None:
            self.storage.put(key + ".prov", prov)
        record = self._meta_record(key, metadata, hashlib.sha256(data).hexdigest(),
                                   format_time(datetime.now(UTC)), info.etag, signer)
        self.storage.put(META_PREFIX + key + ".json", record)
        self.invalidate()
        return self._entry(json.loads(record))

    def _store_package(self, key: str, chart: tuple[str, str], data: bytes) -> ObjectInfo:
        """Put-if-absent; a package already there is replaced only when it is the same
        chart version and overwriting is allowed."""
        try:
            return self.storage.put(key, data, overwrite=False)
        except ObjectExists as exc:
            held = self._chart_stored_as(key)
            if held is not None and held != chart:
                raise VersionExists(f"{key} already holds chart {held[0]} version "
                                    f"{held[1]}") from exc
            if not self.allow_overwrite:
                raise VersionExists(f"{key[:-4]} already exists") from exc
        return self.storage.put(key, data)

    def _chart_stored_as(self, key: str) -> tuple[str, str] | None:
        """Name and version of the chart stored as ``key``; None when there is none."""
        try:
            metadata = json.loads(self.storage.get(META_PREFIX + key + ".json"))["metadata"]
        except (StorageError, ValueError, KeyError, TypeError):
            try:
                metadata = package_metadata(self.storage.get(key), key)
            except (ObjectNotFound, InvalidKey, ChartError, RecursionError):
                return None
        return str(metadata.get("name")), str(metadata.get("version"))

    def upload_prov(self, prov: bytes) -> str:
        """Store a provenance file under the package it names; return that key."""
        found = _PROV_FILE.search(prov)
        if not found or b"-----BEGIN PGP SIGNED MESSAGE-----" not in prov:
            raise UploadError("not a provenance file (no signed files: section)")
        key = found.group(1).decode()
        if "/" in key:
            raise UploadError(f"invalid package name {key!r} in provenance file")
        if self.verify_keyring is not None:  # checked against the package it names
            try:
                data = self.storage.get(key)
            except (ObjectNotFound, InvalidKey) as exc:
                raise UploadError(f"{key}: no such package to verify the provenance "
                                  f"against") from exc
            signer = self._verify(key, data, prov)
            meta_key = META_PREFIX + key + ".json"
            try:
                record = json.loads(self.storage.get(meta_key))
                record["provenance"] = signer
                self.storage.put(meta_key, json.dumps(record, sort_keys=True,
                                                      default=str).encode())
            except (ObjectNotFound, ValueError):
                pass  # regenerated from the package later, without the signer
        try:
            self.storage.put(key + ".prov", prov, overwrite=self.allow_overwrite)
        except ObjectExists as exc:
            raise VersionExists(f"{key}.prov already exists") from exc
        except InvalidKey as exc:
            raise UploadError(f"invalid package name {key!r} in provenance file") from exc
        return key + ".prov"

    def delete(self, name: str, version: str) -> bool:
        """Remove a chart version: package, provenance and metadata. False when it is not
        stored, also when its package name holds another chart."""
        try:
            key = _stored_key(name, version)
        except UploadError:
            return False
        held = self._chart_stored_as(key)
        if held is not None and held != (name, version):
            return False
        found = self._remove(key)
        self._remove(key + ".prov")
        self._remove(META_PREFIX + key + ".json")
        self.invalidate()
        return found

    def _remove(self, key: str) -> bool:
        try:
            return self.storage.delete(key)
        except InvalidKey:
            return False  # no object can have that name
