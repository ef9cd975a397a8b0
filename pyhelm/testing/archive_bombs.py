"""Hostile chart archives for tests and measurements: small files that cost a naive
reader a lot of memory or CPU. Each builder returns the bytes of a ``.tgz`` whose first
entry is a valid ``NAME/Chart.yaml``, so only the reader's limits can refuse it.

- ``nested_bomb``: subchart ``.tgz`` files inside the chart, each inflating to
  ``size`` bytes (a gzip of a gzip of zeros), so a limit counted per archive is passed
  ``subcharts`` times over.
- ``long_name_bomb``: a GNU long-name header (type ``L``) of ``size`` bytes.
- ``pax_bomb``: a PAX extended header (type ``x``) holding one ``size``-byte record.
- ``directory_bomb``: ``count`` directory entries.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterator

MIB = 1024 * 1024


def _chart_yaml(name: str) -> tuple[tarfile.TarInfo, bytes]:
    data = f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n".encode()
    info = tarfile.TarInfo(f"{name}/Chart.yaml")
    info.size = len(data)
    return info, data


def _gzip(parts: Iterator[bytes]) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        for part in parts:
            gz.write(part)
    return out.getvalue()


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _repeat(size: int, fill: bytes = b"\0") -> Iterator[bytes]:
    """``size`` bytes of ``fill`` (one byte), a MiB at a time."""
    chunk = fill * MIB
    for start in range(0, size, MIB):
        yield chunk[:min(MIB, size - start)]


def _pad(size: int) -> bytes:
    return b"\0" * (-size % tarfile.BLOCKSIZE)


def _chart_head(name: str) -> Iterator[bytes]:
    info, data = _chart_yaml(name)
    yield _header(info)
    yield data + _pad(len(data))


def _end() -> bytes:
    return b"\0" * (2 * tarfile.BLOCKSIZE)


def _archive(name: str, body: Iterator[bytes]) -> bytes:
    def parts() -> Iterator[bytes]:
        yield from _chart_head(name)
        yield from body
        yield _end()

    return _gzip(parts())


def _file(name: str, size: int, data: bytes | None = None) -> Iterator[bytes]:
    """An entry of ``size`` zero bytes, or of ``data``."""
    info = tarfile.TarInfo(name)
    info.size = size
    yield _header(info)
    if data is None:
        yield from _repeat(size)
    else:
        yield data
    yield _pad(size)


GO_TEMPLATE = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"


def nested_bomb(subcharts: int = 9, size: int = 100 * MIB - 4096, *,
                go_template: bool = False) -> bytes:
    """A chart whose ``charts/`` holds ``subcharts`` archives of ``size`` zero bytes each
    (each under a per-archive limit of 100 MiB, all of them far over it); with
    ``go_template``, a Helm (Go template) chart, which Helm's engine renders."""
    inner = _archive("sub", _file("sub/zeros", size))

    def body() -> Iterator[bytes]:
        if go_template:
            yield from _file("bomb/templates/cm.yaml", len(GO_TEMPLATE), GO_TEMPLATE)
        for number in range(subcharts):
            info = tarfile.TarInfo(f"bomb/charts/sub{number}.tgz")
            info.size = len(inner)
            yield _header(info)
            yield inner + _pad(len(inner))

    return _archive("bomb", body())


def long_name_bomb(size: int = 200 * MIB) -> bytes:
    """A GNU long-name header of ``size`` bytes naming the next entry."""
    info = tarfile.TarInfo("././@LongLink")
    info.type = tarfile.GNUTYPE_LONGNAME
    info.size = size

    def body() -> Iterator[bytes]:
        yield _header(info)
        yield from _repeat(size, b"a")
        yield _pad(size)
        yield from _file("bomb/x", 0)

    return _archive("bomb", body())


def pax_bomb(size: int = 200 * MIB) -> bytes:
    """A PAX header of ``size`` bytes: one ``path`` record that long."""
    head = f"{size} path=".encode()
    info = tarfile.TarInfo("bomb/PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = size

    def body() -> Iterator[bytes]:
        yield _header(info)
        yield head
        yield from _repeat(size - len(head) - 1, b"a")
        yield b"\n"
        yield _pad(size)
        yield from _file("bomb/x", 0)

    return _archive("bomb", body())


def directory_bomb(count: int = 300_000) -> bytes:
    """``count`` directory entries after Chart.yaml."""
    def body() -> Iterator[bytes]:
        for number in range(count):
            info = tarfile.TarInfo(f"bomb/d{number}")
            info.type = tarfile.DIRTYPE
            yield _header(info)

    return _archive("bomb", body())


BOMBS: dict[str, Callable[[], bytes]] = {
    "nested": nested_bomb, "long-name": long_name_bomb, "pax": pax_bomb,
    "directories": directory_bomb}


_CHILD = """
import json, resource, sys, time
from pyhelm.chart.loader import load_chart
started = time.monotonic()
try:
    load_chart(sys.argv[1])
    outcome = "loaded"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:160]}"
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"outcome": outcome, "peak_rss_mib": round(usage.ru_maxrss / 1024),
                  "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                  "wall_seconds": round(time.monotonic() - started, 2)}))
"""


def measure(path: str, pythonpath: str | None = None) -> dict[str, object]:
    """Load the chart at ``path`` in a fresh interpreter (pyhelm from ``pythonpath`` when
    given): the outcome (``loaded`` or the error), peak RSS (MiB) and CPU seconds of the
    whole process, interpreter start included."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    done = subprocess.run([sys.executable, "-c", _CHILD, path], env=env, capture_output=True,
                          text=True, check=True, timeout=600)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


if __name__ == "__main__":  # python -m pyhelm.testing.archive_bombs DIR [PYTHONPATH]
    import sys
    from pathlib import Path

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for bomb, build in BOMBS.items():
        file = target / f"{bomb}.tgz"
        if not file.exists():
            file.write_bytes(build())
        print(bomb, file.stat().st_size, "bytes:",
              measure(str(file), sys.argv[2] if len(sys.argv) > 2 else None), flush=True)
