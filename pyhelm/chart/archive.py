"""Reading chart files into memory from a directory or a ``.tgz``, safely.

Both readers return ``{relative/path: bytes}`` for one chart root. Archives are checked
before anything is trusted: no absolute paths, no ``..``, no links or device files, and
everything read is spent from the chart's ``ArchiveBudget`` (``archive_budget.py``),
which its subchart archives share. A directory holds at most ``MAX_UNPACKED_BYTES``;
it is read without following symlinks out of the chart.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tarfile

    import pathspec

from pyhelm.chart.archive_budget import MAX_DECOMPRESSED_BYTES, ArchiveBudget
from pyhelm.errors import ChartError

MAX_UNPACKED_BYTES = MAX_DECOMPRESSED_BYTES
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
    from pyhelm.chart.tar_stream import shown

    name = member.name
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ChartError(f"{archive}: entry {shown(name)} has an absolute path")
    if ".." in name.replace("\\", "/").split("/"):
        raise ChartError(f"{archive}: entry {shown(name)} escapes the chart (path traversal)")
    if member.issym() or member.islnk():
        raise ChartError(f"{archive}: entry {shown(name)} is a link; links are not allowed")
    if not (member.isfile() or member.isdir()):
        raise ChartError(f"{archive}: entry {shown(name)} is not a regular file")
    return posixpath.normpath(name)


def read_archive(data: bytes, source: str, budget: ArchiveBudget | None = None
                 ) -> dict[str, bytes]:
    """The files of a chart archive, relative to its single top directory."""
    return unpack_archive(data, source, budget)[1]


def unpack_archive(data: bytes, source: str, budget: ArchiveBudget | None = None
                   ) -> tuple[str, dict[str, bytes]]:
    """The top directory of a chart archive, and its files relative to it."""
    from pyhelm.chart.tar_stream import entries  # keeps `pyhelm template DIR` quick

    budget = budget or ArchiveBudget()
    files: dict[str, bytes] = {}
    for member, content in entries(data, source, budget):
        name = _checked_name(source, member)
        if content is not None:
            files[name] = content
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) != 1 or not all("/" in name for name in files):
        from pyhelm.chart.tar_stream import shown

        found = ", ".join(shown(top) for top in sorted(tops)[:5]) or "nothing"
        raise ChartError(f"{source}: a chart archive must hold one top directory "
                         f"(found {found})")
    top = tops.pop()
    return top, {name[len(top) + 1:]: content for name, content in files.items()}


_SUBCHART_ARCHIVE = re.compile(r"(?:charts/[^/]+/)*charts/[^/]+\.(?:tgz|tar\.gz)")


def check_archives(path: Path) -> None:
    """Spend one budget on the chart at ``path`` and every subchart archive in it, and
    build nothing: for a chart that another loader reads next (Helm's engine gives each
    archive a budget of its own)."""
    budget = ArchiveBudget()
    if path.is_dir():
        _check_directory(path, budget)
    else:
        _check_files(read_archive(path.read_bytes(), str(path), budget), path.name, budget)


def _check_files(files: dict[str, bytes], source: str, budget: ArchiveBudget) -> None:
    archives = [name for name in sorted(files) if _SUBCHART_ARCHIVE.fullmatch(name)]
    if archives:
        with budget.nested(source):
            for name in archives:
                inner = f"{source}/{name}"
                _check_files(read_archive(files[name], inner, budget), inner, budget)


def _check_directory(root: Path, budget: ArchiveBudget) -> None:
    charts = root / "charts"
    if not charts.is_dir():
        return
    with budget.nested(str(root)):
        for entry in sorted(charts.iterdir()):
            if entry.is_dir():
                _check_directory(entry, budget)
            elif entry.name.endswith((".tgz", ".tar.gz")):
                _check_files(read_archive(entry.read_bytes(), str(entry), budget),
                             str(entry), budget)
