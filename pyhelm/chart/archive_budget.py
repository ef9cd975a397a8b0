"""What reading one chart's archives may cost, as one budget for the whole chart.

Subchart archives inside a chart (``charts/*.tgz``, at any depth) spend from the budget
of the chart that holds them, so a small upload cannot multiply a per-archive limit by
nesting archives. Spent while reading, never trusted from headers alone:

- decompressed bytes: Helm's ``MaxDecompressedChartSize`` (100 MiB), with Helm's message;
- entries of every kind (files, directories, anything), ``MAX_ENTRIES`` in all;
- one GNU long-name or PAX header at most ``MAX_HEADER_BYTES`` (tarfile reads each whole);
- subcharts nested at most ``MAX_DEPTH`` levels (loading recurses once per level).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyhelm.errors import ChartError

MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_HEADER_BYTES = 64 * 1024
MAX_EXTENDED_RUN = 8  # extended headers before one entry (real archives use 1 or 2)
MAX_DEPTH = 16


@dataclass
class ArchiveBudget:
    """What is left of the limits on reading an archive (bytes, entries, nesting)."""

    bytes_left: int = MAX_DECOMPRESSED_BYTES
    entries_left: int = MAX_ENTRIES
    depth: int = 0

    def spend_bytes(self, count: int, source: str) -> None:
        self.bytes_left -= count
        if self.bytes_left < 0:
            raise self.too_large(source)

    @staticmethod
    def too_large(source: str) -> ChartError:
        return ChartError(f"{source}: decompressed chart is larger than the maximum size "
                          f"{MAX_DECOMPRESSED_BYTES}")  # Helm's words

    def spend_entry(self, source: str) -> None:
        self.entries_left -= 1
        if self.entries_left < 0:
            raise ChartError(f"{source}: the chart's archives hold more than {MAX_ENTRIES} "
                             "entries")

    @contextmanager
    def nested(self, source: str) -> Iterator[None]:
        """One subchart level deeper while the block runs."""
        if self.depth >= MAX_DEPTH:
            raise ChartError(f"{source}: subcharts nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
