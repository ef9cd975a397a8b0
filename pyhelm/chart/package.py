"""Writing a chart directory as ``NAME-VERSION.tgz``, Helm's layout, byte for byte stable.

Entries are ``NAME/<path>`` in sorted order with fixed mtime, owner and modes, and the
gzip header carries no name or time, so packaging the same chart twice gives the same
digest. ``.helmignore`` applies. ``--version``/``--app-version`` rewrite Chart.yaml.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from pathlib import Path

from pyhelm import yamlio
from pyhelm.chart import semver
from pyhelm.chart.archive import read_directory
from pyhelm.chart.loader import load_files
from pyhelm.errors import ChartError

_EPOCH = 0


def package_bytes(chart_dir: str | Path, *, version: str | None = None,
                  app_version: str | None = None) -> tuple[str, str, bytes]:
    """(chart name, version, archive bytes) for a chart directory."""
    files = read_directory(Path(chart_dir))
    if version is not None or app_version is not None:
        files["Chart.yaml"] = _rewrite_metadata(files.get("Chart.yaml", b""), version,
                                                app_version, str(chart_dir))
    chart = load_files(files, str(chart_dir))  # validates before anything is written
    name, chart_version = chart.metadata.name, chart.metadata.version
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=_EPOCH) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in sorted(files):
            data = files[relative]
            info = tarfile.TarInfo(f"{name}/{relative}")
            info.size = len(data)
            info.mtime = _EPOCH
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return name, chart_version, buffer.getvalue()


def _rewrite_metadata(raw: bytes, version: str | None, app_version: str | None,
                      source: str) -> bytes:
    metadata = yamlio.load(raw) or {}
    if version is not None:
        if not semver.is_loose_valid(version):  # Helm: NewVersion
            raise ChartError(f'--version "{version}" is not a valid SemVer 2 version')
        metadata["version"] = version
    if app_version is not None:
        metadata["appVersion"] = app_version
    return yamlio.dump(metadata, sort_keys=False).encode()


def write_package(chart_dir: str | Path, dest_dir: str | Path = ".", *,
                  version: str | None = None, app_version: str | None = None) -> Path:
    """Write ``dest_dir/NAME-VERSION.tgz`` atomically and return its path."""
    name, chart_version, data = package_bytes(chart_dir, version=version,
                                              app_version=app_version)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{name}-{chart_version}.tgz"
    handle, temp = tempfile.mkstemp(dir=dest, prefix=f".{name}-", suffix=".tgz")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temp, 0o644)  # mkstemp makes 0600; a package is meant to be shared
    os.replace(temp, target)
    return target
