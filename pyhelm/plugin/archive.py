"""Plugin tarballs: read one's ``plugin.yaml``, unpack one safely, make one as Helm does.

Unpacking follows Helm's extractor: only directories and regular files (anything else is
``unknown type``), and a name with ``:``, a ``..`` part or a leading ``/`` is refused
before anything is written, so no entry can land outside the target directory. Unlike
Helm's, it is bounded: the archive is read as a stream within a budget of decompressed
bytes and entries (a plugin may carry binaries, so the budget is larger than a chart's).

``pack`` writes the tarball ``helm plugin package`` writes: every file under the plugin
directory, walked in name order, under a top directory named after the plugin, with
Go's header for each (permission bits, owner ids and names, the modification time
rounded to the second, USTAR when it fits) and two zero blocks at the end. The tar
stream is Helm's byte for byte; only the gzip compression differs.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

from pyhelm.chart.archive_budget import ArchiveBudget
from pyhelm.errors import ChartError, PluginError
from pyhelm.plugin.metadata import PLUGIN_FILE, Metadata, MetadataError, parse

MAX_PLUGIN_BYTES = 1024 * 1024 * 1024  # plugins bundle binaries; Helm has no limit
MAX_PLUGIN_ENTRIES = 20_000
SUFFIXES = (".tar.gz", ".tgz")
_VERSIONED = re.compile(r"(.*)-\d+\..*")


class _PluginBudget(ArchiveBudget):
    @staticmethod
    def too_large(source: str) -> ChartError:
        return ChartError(f"{source}: decompressed plugin is larger than the maximum size "
                          f"{MAX_PLUGIN_BYTES}")

    def spend_entry(self, source: str) -> None:
        self.entries_left -= 1
        if self.entries_left < 0:
            raise ChartError(f"{source}: the plugin archive holds more than "
                             f"{MAX_PLUGIN_ENTRIES} entries")


def _entries(data: bytes, source: str) -> Iterator[tuple[tarfile.TarInfo, bytes | None]]:
    from pyhelm.chart.tar_stream import entries

    budget = _PluginBudget(bytes_left=MAX_PLUGIN_BYTES, entries_left=MAX_PLUGIN_ENTRIES)
    try:
        yield from entries(data, source, budget, kind="plugin")
    except ChartError as exc:
        raise PluginError(str(exc)) from None


def is_archive(name: str) -> bool:
    return name.endswith(SUFFIXES)


def plugin_name_of(filename: str) -> str:
    """Helm's stripPluginName: ``NAME-1.2.3.tgz`` is NAME."""
    stripped = next((filename[:-len(s)] for s in SUFFIXES if filename.endswith(s)), "")
    return _VERSIONED.sub(r"\1", stripped)


def read_metadata(data: bytes, source: str) -> Metadata:
    """The metadata of the first ``plugin.yaml`` in the tarball, at any depth (Helm's
    ExtractTgzPluginMetadata)."""
    for member, content in _entries(data, source):
        if content is not None and member.name.rsplit("/", 1)[-1] == PLUGIN_FILE:
            try:
                return parse(content)
            except MetadataError as exc:
                raise PluginError(str(exc)) from None
    raise PluginError("plugin.yaml not found in tarball")


def checked_path(root: Path, name: str) -> Path:
    """Helm's cleanJoin: where entry ``name`` goes under ``root``, or PluginError."""
    if ":" in name:
        raise PluginError("path contains ':', which is illegal")
    name = name.replace("\\", "/")
    if ".." in name.split("/"):
        raise PluginError("path contains '..', which is illegal")
    if name.startswith("/"):
        raise PluginError("path is absolute, which is illegal")
    target = Path(os.path.normpath(root / name))
    if target != root and root not in target.parents:
        raise PluginError("path escapes from parent")
    return target


def unpack(data: bytes, target: Path, source: str) -> None:
    """The tarball's directories and files under ``target`` (created)."""
    target.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.normpath(target.resolve()))
    for member, content in _entries(data, source):
        path = checked_path(root, member.name)
        if member.isdir():
            path.mkdir(mode=0o755, parents=True, exist_ok=True)
        elif member.isfile() and content is not None:
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            _refuse_link(path, root)
            handle = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW,
                             member.mode & 0o777)
            with os.fdopen(handle, "wb") as out:
                out.write(content)
        else:
            raise PluginError(f"unknown type: {ord(member.type):b} in {member.name}")


def _refuse_link(path: Path, root: Path) -> None:
    """No entry is written through a symlink (none is ever unpacked, but the target
    directory may hold one)."""
    for parent in (path, *path.parents):
        if parent == root:
            return
        if parent.is_symlink():
            raise PluginError(f"{path}: a symbolic link is in the way")


# ------------------------------------------------------------------ packing
def pack(source: Path, name: str) -> bytes:
    """The plugin directory ``source`` as Helm's CreatePluginTarball makes it."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as compressed:
        for path in _walk(source):
            relative = os.path.relpath(path, source)
            entry_name = name if relative == "." else f"{name}/{relative}"
            info, data = _header(path, entry_name)
            compressed.write(_ustar(info) or info.tobuf(tarfile.PAX_FORMAT, "utf-8",
                                                        "surrogateescape"))
            if data:
                compressed.write(data)
                compressed.write(b"\0" * (-len(data) % tarfile.BLOCKSIZE))
        compressed.write(b"\0" * (2 * tarfile.BLOCKSIZE))  # Go's end, no record padding
    return out.getvalue()


def _walk(root: Path) -> Iterator[Path]:
    """Go's filepath.Walk: the root, then each entry in name order, directories entered
    (symbolic links are not followed)."""
    yield root
    if root.is_symlink() or not root.is_dir():
        return
    for name in sorted(os.listdir(root), key=os.fsencode):
        yield from _walk(root / name)


def _header(path: Path, name: str) -> tuple[tarfile.TarInfo, bytes]:
    """Go's tar.FileInfoHeader of the file, as the Writer writes it by default."""
    status = path.lstat()
    info = tarfile.TarInfo(name)
    info.mode = stat.S_IMODE(status.st_mode) & 0o777 | _special_bits(status.st_mode)
    info.uid, info.gid = status.st_uid, status.st_gid
    info.uname, info.gname = _user(status.st_uid), _group(status.st_gid)
    info.mtime = (status.st_mtime_ns + 500_000_000) // 1_000_000_000
    data = b""
    if stat.S_ISREG(status.st_mode):
        info.type = tarfile.REGTYPE
        data = path.read_bytes()
        info.size = len(data)
    elif stat.S_ISDIR(status.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(status.st_mode):
        info.type = tarfile.SYMTYPE  # Helm passes no link target: the link is empty
    else:
        raise PluginError(f"archive/tar: unknown file mode {status.st_mode:o} ({path})")
    return info, data


def _ustar(info: tarfile.TarInfo) -> bytes | None:
    """Go's USTAR header block (numbers zero-filled, device numbers written as zeros),
    or None when the entry needs PAX (a long or non-ASCII name)."""
    name, prefix = info.name, ""
    if len(name) > 100:
        split = _split_ustar_path(name)
        if split is None:
            return None
        prefix, name = split
    texts = (name, prefix, info.uname, info.gname)
    if not all(text.isascii() for text in texts) or len(info.uname) > 32 or \
            len(info.gname) > 32:
        return None

    def octal(value: int, width: int) -> bytes:
        digits = f"{value:o}"
        if len(digits) >= width:
            raise PluginError(f"{info.name}: a header value is too large for USTAR")
        return digits.rjust(width - 1, "0").encode() + b"\0"

    def text(value: str, width: int) -> bytes:
        return value.encode().ljust(width, b"\0")

    block = b"".join((
        text(name, 100), octal(info.mode, 8), octal(info.uid, 8), octal(info.gid, 8),
        octal(info.size, 12), octal(int(info.mtime), 12), b" " * 8, info.type,
        text(info.linkname, 100), b"ustar\x0000", text(info.uname, 32),
        text(info.gname, 32), octal(0, 8), octal(0, 8), text(prefix, 155), b"\0" * 12))
    checksum = f"{sum(block):06o}".encode() + b"\0 "
    return block[:148] + checksum + block[156:]


def _split_ustar_path(name: str) -> tuple[str, str] | None:
    """Go's splitUSTARPath: a prefix of at most 155 bytes and a name of at most 100."""
    length = len(name)
    if length > 156:
        length = 156
    elif name[length - 1] == "/":
        length -= 1
    cut = name.rfind("/", 0, length)
    if cut <= 0 or len(name) - cut - 1 > 100 or len(name) - cut - 1 == 0 or cut > 155:
        return None
    return name[:cut], name[cut + 1:]


def _special_bits(mode: int) -> int:
    return mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def _group(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""
