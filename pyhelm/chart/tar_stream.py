"""Reading a tar archive (gzip-compressed, or plain) as a stream, within a budget.

Every decompressed byte tarfile asks for is spent from the ``ArchiveBudget`` as it is
read, and at most one byte past what is left is ever inflated. Python's tarfile reads a
GNU long-name or PAX header whole, whatever size its header block claims, and follows a
chain of them by recursion; so those sizes and chains are checked from the header block
before tarfile reads any further.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Iterator
from typing import Any

from pyhelm.chart.archive_budget import MAX_EXTENDED_RUN, MAX_HEADER_BYTES, ArchiveBudget
from pyhelm.errors import ChartError

_EXTENDED = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
             tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_GZIP_MAGIC = b"\x1f\x8b"


class _Inflated(io.RawIOBase):
    """The decompressed bytes of an archive, spent from the budget as they are read."""

    def __init__(self, data: bytes, source: str, budget: ArchiveBudget) -> None:
        super().__init__()
        raw = io.BytesIO(data)
        self._stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") \
            if data.startswith(_GZIP_MAGIC) else raw
        self._source = source
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        ceiling = self._budget.bytes_left + 1  # one byte over is enough to know
        chunk = self._stream.read(ceiling if size < 0 else min(size, ceiling))
        self._budget.spend_bytes(len(chunk), self._source)
        return chunk


class _Refused(Exception):
    """A header refused before tarfile reads what it announces."""


class _CheckedTarInfo(tarfile.TarInfo):
    # tarfile's private hook, called for every header block before anything it announces
    # is read (CPython 3.11 to 3.14); the bomb tests fail if it ever stops being called
    def _proc_member(self, archive: Any) -> Any:
        if self.type in _EXTENDED:
            archive.extended_run += 1
            if self.size > MAX_HEADER_BYTES:
                raise _Refused(f"an extended header of {self.size} bytes (at most "
                               f"{MAX_HEADER_BYTES})")
            if archive.extended_run > MAX_EXTENDED_RUN:
                raise _Refused(f"more than {MAX_EXTENDED_RUN} extended headers in a row")
        else:
            archive.extended_run = 0
            if self.type == tarfile.GNUTYPE_SPARSE:  # its map is read block by block
                raise _Refused(f"entry {shown(self.name)} is not a regular file")
        return super()._proc_member(archive)  # type: ignore[misc]


class _CheckedTarFile(tarfile.TarFile):
    tarinfo = _CheckedTarInfo

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.extended_run = 0  # set before TarFile.__init__ reads the first header
        super().__init__(*args, **kwargs)


def shown(name: str, limit: int = 100) -> str:
    """An entry name for a message: quoted, and cut when long (names come from the
    archive, and may be as long as a header allows)."""
    return repr(name if len(name) <= limit else name[:limit] + "...")


def entries(data: bytes, source: str, budget: ArchiveBudget, kind: str = "chart"
            ) -> Iterator[tuple[tarfile.TarInfo, bytes | None]]:
    """Each entry of the archive in order, with its data when it is a regular file.
    Every entry and every byte read is spent from ``budget``; ``kind`` names what the
    archive should hold in the error for one that does not read."""
    try:
        with _CheckedTarFile.open(fileobj=_Inflated(data, source, budget), mode="r|") as tar:
            for member in tar:
                budget.spend_entry(source)
                yield member, _content(tar, member, source, budget)
    except _Refused as exc:
        raise ChartError(f"{source}: {exc}") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ChartError(f"{source}: not a valid {kind} archive: {exc}") from exc


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo, source: str,
             budget: ArchiveBudget) -> bytes | None:
    if not member.isfile():
        return None
    if member.size > budget.bytes_left:  # refused from the header, before inflating
        raise budget.too_large(source)
    extracted = tar.extractfile(member)
    return extracted.read() if extracted else b""
