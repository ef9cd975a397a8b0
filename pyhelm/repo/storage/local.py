"""A local directory as repository storage.

Writes go to a temp file in the target's directory, are fsynced, then either renamed
over the key (overwrite) or hard-linked to it (put-if-absent: ``link`` fails when the
name exists, atomically, also between processes). Readers never see a partial object;
temp files (``.tmp-*``) are never listed. An object's etag is its inode, size and
mtime in nanoseconds: every atomic replacement changes it without reading the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pyhelm.repo.storage import ObjectExists, ObjectInfo, ObjectNotFound, StorageError, check_key

_TEMP_PREFIX = ".tmp-"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.absolute()
        self.url = self.root.as_uri()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.root}: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    @staticmethod
    def _info(key: str, stat: os.stat_result) -> ObjectInfo:
        return ObjectInfo(key, f"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}",
                          stat.st_size, stat.st_mtime)

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        try:
            for directory, subdirs, files in os.walk(self.root):
                subdirs.sort()
                base = Path(directory).relative_to(self.root).as_posix()
                for name in files:
                    if name.startswith(_TEMP_PREFIX):
                        continue
                    key = name if base == "." else f"{base}/{name}"
                    if not key.startswith(prefix):
                        continue
                    with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                        found.append(self._info(key, os.stat(os.path.join(directory, name))))
        except OSError as exc:
            raise StorageError(f"cannot list {self.root}: {exc.strerror}") from exc
        return sorted(found, key=lambda o: o.key)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"{key}: not found") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}") from exc

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            return self._info(key, self._path(key).stat())
        except (FileNotFoundError, NotADirectoryError):
            return None

    def put(self, key: str, data: bytes, *, overwrite: bool = True) -> ObjectInfo:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes 0600; repositories are read by others
            if overwrite:
                os.replace(temp, target)
            else:
                try:
                    os.link(temp, target)
                except FileExistsError as exc:
                    raise ObjectExists(f"{key} already exists") from exc
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return self._info(key, target.stat())

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc.strerror}") from exc
        return True
