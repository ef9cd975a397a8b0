"""Reading chart files into memory from a directory or a ``.tgz``, safely.

Both readers return ``{relative/path: bytes}`` for one chart root. Archives are checked
before anything is trusted: no absolute paths, no ``..``, no links or device files, at
most ``MAX_UNPACKED_BYTES`` in all. Directories are read without following symlinks.
"""

from __future__ import annotations

import io
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tarfile

    import pathspec

from pyhelm.errors import ChartError

MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_FILES = 10_000
HELMIGNORE = ".helmignore"


def ignore_spec(data: bytes | None) -> pathspec.GitIgnoreSpec | None:
    """A gitignore matcher for .helmignore (pathspec is imported only when needed)."""
    if not data:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(data.decode("utf-8", "replace").splitlines())


def is_ignored(spec: pathspec.GitIgnoreSpec | None, name: str, is_dir: bool = False) -> bool:
    if spec is None:
        return False
    return spec.match_file(name + "/" if is_dir else name)


def read_directory(root: Path) -> dict[str, bytes]:
    """Every regular file below ``root`` not excluded by its .helmignore."""
    if not root.is_dir():
        raise ChartError(f"{root}: not a chart directory")
    ignore_file = root / HELMIGNORE
    spec = ignore_spec(ignore_file.read_bytes() if ignore_file.is_file() else None)
    files: dict[str, bytes] = {}
    total = 0
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if dirpath != str(root):
            real_dir, real_parent = Path(dirpath).resolve(), Path(dirpath).parent.resolve()
            if real_dir == real_parent or real_dir in real_parent.parents:
                raise ChartError(f"{dirpath}: a symbolic link loop")
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        dirnames[:] = sorted(d for d in dirnames if not is_ignored(
            spec, posixpath.join(rel_dir, d), is_dir=True))
        for directory in dirnames:
            _check_link(Path(dirpath) / directory, real_root)
        for filename in sorted(filenames):
            rel = posixpath.join(rel_dir, filename)
            path = Path(dirpath) / filename
            _check_link(path, real_root)
            if is_ignored(spec, rel) or not path.is_file():
                continue
            data = path.read_bytes()
            total += len(data)
            if total > MAX_UNPACKED_BYTES:
                raise ChartError(f"{root}: chart is larger than {MAX_UNPACKED_BYTES} bytes")
            files[rel] = data
    return files


def _check_link(path: Path, real_root: Path) -> None:
    """Symbolic links are followed (as Helm follows them, e.g. a linked subchart) as long
    as they stay inside the chart; a link out of it could read any file on the machine."""
    if path.is_symlink():
        target = path.resolve()
        if target != real_root and real_root not in target.parents:
            raise ChartError(f"{path}: a symbolic link out of the chart (to {target}) is "
                             "not allowed")


def _checked_name(archive: str, member: tarfile.TarInfo) -> str:
    name = member.name
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ChartError(f"{archive}: entry {name!r} has an absolute path")
    if ".." in name.replace("\\", "/").split("/"):
        raise ChartError(f"{archive}: entry {name!r} escapes the chart (path traversal)")
    if member.issym() or member.islnk():
        raise ChartError(f"{archive}: entry {name!r} is a link; links are not allowed")
    if not (member.isfile() or member.isdir()):
        raise ChartError(f"{archive}: entry {name!r} is not a regular file")
    return posixpath.normpath(name)


def read_archive(data: bytes, source: str) -> dict[str, bytes]:
    """The files of a chart archive, relative to its single top directory."""
    import tarfile  # only archives need it; keeps `pyhelm template DIR` quick to start

    # sizes come from the tar headers, so a bomb is refused before it is inflated
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                name = _checked_name(source, member)
                if member.isdir():
                    continue
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise ChartError(
                        f"{source}: unpacks to more than {MAX_UNPACKED_BYTES} bytes")
                if len(files) >= MAX_FILES:
                    raise ChartError(f"{source}: more than {MAX_FILES} files")
                extracted = tar.extractfile(member)
                files[name] = extracted.read() if extracted else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ChartError(f"{source}: not a valid chart archive: {exc}") from exc
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) != 1 or not all("/" in name for name in files):
        raise ChartError(f"{source}: a chart archive must hold one top directory "
                         f"(found {sorted(tops) or 'nothing'})")
    top = tops.pop()
    return {name[len(top) + 1:]: content for name, content in files.items()}
