"""Reading chart files into memory from a directory or a ``.tgz``, as Helm reads them.

Both readers return ``{relative/path: bytes}`` for one chart root, a leading UTF-8 byte
order mark taken off each file. An archive's member names follow Helm's rules (the first
path component is the chart's, whatever its name; no absolute names, nothing above the
chart); links and device files are refused; everything read is spent from the chart's
``ArchiveBudget`` (``archive_budget.py``), which its subchart archives share. A directory
is read as Helm reads it: its .helmignore applies, symbolic links are followed (a
subchart linked from beside the chart loads), anything but a regular file is refused, and
at most ``MAX_UNPACKED_BYTES`` are read. Unlike Helm, a file is read only when it lies
within the chart, or within a subchart linked under ``charts/``: a chart cloned from
elsewhere must not turn ``templates/x -> ~/.ssh/id_rsa`` into rendered output.
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
BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"
_DRIVE = re.compile(r"[a-zA-Z]:/")


def ignore_spec(data: bytes | None, source: object = HELMIGNORE
                ) -> pathspec.GitIgnoreSpec | None:
    """A gitignore matcher for .helmignore (pathspec is imported only when needed); a
    line it cannot read is a one-line ChartError naming the line's number only."""
    if not data:
        return None
    import pathspec

    lines = data.removeprefix(BOM).decode("utf-8", "replace").splitlines()
    for number, line in enumerate(lines, 1):
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:  # pathspec's pattern errors are ValueErrors
            raise ChartError(f"{source}: line {number}: not a valid pattern") from None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def is_ignored(spec: pathspec.GitIgnoreSpec | None, name: str, is_dir: bool = False) -> bool:
    """Ignored by .helmignore, or by Helm's own rule ``templates/.?*`` (a dotfile right
    under templates/), which every chart has."""
    parts = name.split("/")
    if len(parts) == 2 and parts[0] == "templates" and parts[1][:1] == "." and len(parts[1]) > 1:
        return True
    if spec is None:
        return False
    return spec.match_file(name + "/" if is_dir else name)


def read_directory(root: Path, limit: int = MAX_UNPACKED_BYTES) -> dict[str, bytes]:
    """Every regular file below ``root`` not excluded by its .helmignore (Helm's
    LoadDir), at most ``limit`` bytes in all."""
    if not root.is_dir():
        raise ChartError(f"{root}: not a chart directory")
    ignore_file = root / HELMIGNORE
    spec = None
    if ignore_file.is_file():
        within(ignore_file, root.resolve(), root)
        spec = ignore_spec(ignore_file.read_bytes(), ignore_file)
    files: dict[str, bytes] = {}
    left = limit
    # the real directory a file must lie in, by the directory it is listed under: the
    # chart's, or a linked subchart's own
    bases: dict[str, Path] = {str(root): root.resolve()}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if dirpath != str(root):
            real_dir, real_parent = Path(dirpath).resolve(), Path(dirpath).parent.resolve()
            if real_dir == real_parent or real_dir in real_parent.parents:
                raise ChartError(f"{dirpath}: a symbolic link loop")
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        dirnames[:] = sorted(d for d in dirnames if not is_ignored(
            spec, posixpath.join(rel_dir, d), is_dir=True))
        base = bases[dirpath]
        for name in dirnames:
            child = os.path.join(dirpath, name)  # the dirpath os.walk will give it
            linked_subchart = os.path.islink(child) and Path(dirpath).name == "charts"
            bases[child] = Path(child).resolve() if linked_subchart else base
        for filename in sorted(filenames):
            rel = posixpath.join(rel_dir, filename)
            path = Path(dirpath) / filename
            if path.is_symlink() and not path.exists():
                raise ChartError(f"error evaluating symlink {path}: lstat {path.resolve()}: no "
                                 "such file or directory")
            if is_ignored(spec, rel):
                continue
            if not path.is_file():
                raise ChartError(f"cannot load irregular file {path} as it has file mode "
                                 "type bits set")
            within(path, base, root)
            data = _read_within(path, rel, left, limit, root)
            left -= len(data)
            files[rel] = data.removeprefix(BOM)
    return files


def within(path: Path, base: Path, root: Path) -> None:
    """Refuse a file whose real place is outside ``base`` (reached by a link)."""
    real = path.resolve()
    if real != base and base not in real.parents:
        raise ChartError(f"{root}: {path.relative_to(root)} links to {real}, outside the "
                         "chart (only a subchart under charts/ may be linked from elsewhere)")


def _read_within(path: Path, rel: str, left: int, limit: int, root: Path) -> bytes:
    """The file's bytes if they fit in what is left (reading one byte past it at most:
    the file may have grown since it was listed)."""
    too_large = ChartError(f"{root}: error reading {rel}: chart exceeds maximum "
                           f"decompressed size of {limit} bytes")
    if path.stat().st_size > left:
        raise too_large
    with path.open("rb") as stream:
        data = stream.read(left + 1)
    if len(data) > left:
        raise too_large
    return data


def _checked_name(archive: str, member: tarfile.TarInfo) -> str:
    """The member's path in the chart, by Helm's rules: its first component (the chart's
    directory) dropped, ``\\`` read as ``/`` in a name that has one."""
    from pyhelm.chart.tar_stream import shown

    if member.issym() or member.islnk():
        raise ChartError(f"{archive}: entry {shown(member.name)} is a link; links are not "
                         "allowed")
    if not member.isfile():
        raise ChartError(f"{archive}: entry {shown(member.name)} is not a regular file")
    delimiter = "\\" if "\\" in member.name else "/"
    first, _, rest = member.name.partition(delimiter)
    name = rest.replace(delimiter, "/")
    if name.startswith("/"):
        raise ChartError(f"{archive}: chart illegally contains absolute paths")
    name = posixpath.normpath(name)
    if name == ".":
        raise ChartError(f"{archive}: chart illegally contains content outside the base "
                         f"directory: {_go_quoted(member.name)}")
    if name.startswith(".."):
        raise ChartError(f"{archive}: chart illegally references parent directory")
    if _DRIVE.match(name):
        raise ChartError(f"{archive}: chart contains illegally named files")
    if first == "Chart.yaml":
        raise ChartError(f"{archive}: chart yaml not in base directory")
    return name


def _go_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_archive(data: bytes, source: str, budget: ArchiveBudget | None = None
                 ) -> dict[str, bytes]:
    """The files of a chart archive, relative to its single top directory."""
    return unpack_archive(data, source, budget)[1]


def unpack_archive(data: bytes, source: str, budget: ArchiveBudget | None = None
                   ) -> tuple[str, dict[str, bytes]]:
    """The top directory of a chart archive (its first member's), and its files."""
    from pyhelm.chart.tar_stream import entries  # keeps `pyhelm template DIR` quick

    if not data.startswith(_GZIP_MAGIC):
        raise ChartError(f"{source}: stream does not appear to be a valid chart file "
                         "(details: gzip: invalid header)")
    budget = budget or ArchiveBudget()
    top = ""
    files: dict[str, bytes] = {}
    for member, content in entries(data, source, budget):
        if member.isdir():
            continue
        name = _checked_name(source, member)
        top = top or re.split(r"[/\\]", member.name, maxsplit=1)[0]
        files[name] = (content or b"").removeprefix(BOM)
    if not files:
        raise ChartError(f"{source}: no files in chart archive")
    return top, files


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
