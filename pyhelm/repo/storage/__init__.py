"""Where a served chart repository keeps its objects: one small protocol, two backends.

``open_storage(url)`` picks the backend: ``file://DIR`` or a bare path is a local
directory (atomic writes: temp file, fsync, then link or rename), ``s3://BUCKET/PREFIX``
an S3-compatible bucket (``pyhelm.repo.storage.s3``, needs the ``server`` extra). Keys
are relative ``/``-separated names (``demo-0.1.0.tgz``, ``.pyhelm/meta/demo-0.1.0.json``);
``put(..., overwrite=False)`` is put-if-absent, the one primitive replicas rely on to
agree on who stored a version first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from pyhelm.errors import InvalidKey, ObjectExists, ObjectNotFound, StorageError

__all__ = ["MAX_KEY_BYTES", "MAX_PART_BYTES", "InvalidKey", "ObjectExists", "ObjectInfo",
           "ObjectNotFound", "Storage", "StorageError", "check_key", "open_storage"]

MAX_PART_BYTES = 255  # NAME_MAX: a file name on Linux file systems
MAX_KEY_BYTES = 1024  # S3's longest key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    etag: str
    size: int
    mtime: float


class Storage(Protocol):
    url: str

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix``, sorted by key."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when absent."""
        ...

    def put(self, key: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        """Store atomically; with ``overwrite=False`` raise ObjectExists if present."""
        ...

    def delete(self, key: str) -> bool:
        """Remove; False when there was nothing to remove."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that could escape the repository, are not plain names, or that no
    backend can store (so they are the same on every backend: never found, never
    stored)."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\0" in key or "\\" in key or \
            any(p in ("", ".", "..") for p in parts) or \
            len(key.encode()) > MAX_KEY_BYTES or \
            any(len(p.encode()) > MAX_PART_BYTES for p in parts):
        raise InvalidKey(f"invalid object key {key[:80]!r}{'...' if len(key) > 80 else ''}")
    return key


def open_storage(url: str | Path) -> Storage:
    """A backend for ``file://DIR``, a bare directory path or ``s3://BUCKET/PREFIX``."""
    text = str(url)
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        from pyhelm.repo.storage.s3 import S3Storage

        return S3Storage.from_url(text)
    if parsed.scheme == "file":
        from pyhelm.repo.storage.local import LocalStorage

        return LocalStorage(Path(parsed.netloc + parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # "C:" is a drive, not a scheme
        raise StorageError(f"unsupported storage URL {text!r}: use file://DIR, a path "
                           "or s3://BUCKET/PREFIX")
    from pyhelm.repo.storage.local import LocalStorage

    return LocalStorage(Path(text))
