"""Names that come from a repository (an index, a chart URL, a registry) become file
names here, and are never trusted to stay in their directory.

A chart name must follow Helm's chart-name grammar and a version must be a version, so a
name like ``../../x`` or ``/etc/x`` is refused where it is read; and every path a
download or an unpacked chart is written to is checked once more, resolved, by
``confined`` (defence in depth: a cached index may have been edited by hand).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pyhelm.chart import semver
from pyhelm.errors import RepoError

# Helm's chartName (pkg/chart/v2/util/create.go); "." and ".." are not names
_CHART_NAME = re.compile(r"[A-Za-z0-9._-]+")
_VERSION = re.compile(r"[A-Za-z0-9.+-]+")
_FILE_NAME = re.compile(r"[A-Za-z0-9._+-]+")


def chart_name_problem(name: str) -> str:
    """Why ``name`` cannot be a chart name ('' when it can)."""
    if not _CHART_NAME.fullmatch(name) or name in (".", ".."):
        return f"chart name {name!r} is invalid"
    return ""


def version_problem(version: str) -> str:
    """Why ``version`` cannot be a chart version ('' when it can)."""
    if not _VERSION.fullmatch(version) or not semver.is_loose_valid(version):
        return f"chart version {version!r} is invalid"
    return ""


def url_file_name(url: str, shown: str) -> str:
    """The file name a chart URL names (the last segment of its path, as Helm takes
    it), refused unless it is a plain file name."""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    if not _FILE_NAME.fullmatch(name) or name in (".", ".."):
        raise RepoError(f"{shown}: {name!r} is not a chart file name")
    return name


def confined(base: Path, name: str) -> Path:
    """``base / name``, refused when it would be anywhere but inside ``base`` (``..``,
    an absolute name, a symbolic link that leads out)."""
    root = base.resolve()
    target = (root / name).resolve()
    if not name or target == root or not target.is_relative_to(root):
        raise RepoError(f"refusing to write {name!r}: it is outside {base}")
    return base / name
