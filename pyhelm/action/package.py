"""``package``: a chart directory to a deterministic ``NAME-VERSION.tgz``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhelm.chart.package import write_package


@dataclass(frozen=True, kw_only=True)
class PackageOptions:
    path: str
    destination: str = "."
    version: str | None = None
    app_version: str | None = None


def run(options: PackageOptions) -> Path:
    return write_package(options.path, options.destination, version=options.version,
                         app_version=options.app_version)
