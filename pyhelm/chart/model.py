"""The chart model: frozen dataclasses that every other layer reads.

A ``Chart`` is what the loader builds from a directory or an archive, and what the
release record stores (Helm's ``chart`` object: metadata, templates, values, schema,
files). It holds bytes and parsed values only; it knows nothing of disks or clusters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CRD_DIR = "crds/"
TEMPLATES_DIR = "templates/"


@dataclass(frozen=True)
class Maintainer:
    """A maintainer listed in Chart.yaml."""

    name: str
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Dependency:
    """One entry of Chart.yaml ``dependencies``."""

    name: str
    version: str = ""
    repository: str = ""
    condition: str | None = None
    tags: tuple[str, ...] = ()
    alias: str | None = None
    import_values: tuple[Any, ...] = ()
    enabled: bool = True

    @property
    def effective_name(self) -> str:
        """The name the subchart answers to in the parent's values."""
        return self.alias or self.name


@dataclass(frozen=True)
class ChartMetadata:
    """Chart.yaml, Helm apiVersion v2 fields, Python names."""

    api_version: str
    name: str
    version: str
    app_version: str | None = None
    description: str | None = None
    type: str = "application"
    kube_version: str | None = None
    keywords: tuple[str, ...] = ()
    home: str | None = None
    sources: tuple[str, ...] = ()
    maintainers: tuple[Maintainer, ...] = ()
    icon: str | None = None
    deprecated: bool = False
    annotations: Mapping[str, str] = field(default_factory=dict)
    dependencies: tuple[Dependency, ...] = ()

    @property
    def is_library(self) -> bool:
        return self.type == "library"


@dataclass(frozen=True)
class ChartFile:
    """A file of the chart: ``name`` is its path relative to the chart root, with '/'."""

    name: str
    data: bytes


@dataclass(frozen=True)
class LockedDependency:
    """A dependency as Chart.lock pins it."""

    name: str
    version: str
    repository: str


@dataclass(frozen=True)
class ChartLock:
    """Chart.lock."""

    generated: str
    digest: str
    dependencies: tuple[LockedDependency, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A loaded chart and its subcharts.

    ``templates`` are the files under ``templates/``; ``files`` are every other file
    except Chart.yaml, Chart.lock, values.yaml, values.schema.json and subcharts
    (Helm's rule), so ``crds/`` and README live in ``files``.
    """

    metadata: ChartMetadata
    values: Mapping[str, Any] = field(default_factory=dict)
    schema: bytes | None = None
    templates: tuple[ChartFile, ...] = ()
    files: tuple[ChartFile, ...] = ()
    subcharts: tuple[Chart, ...] = ()
    lock: ChartLock | None = None
    raw_values: bytes = b""
    raw_metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def crds(self) -> tuple[ChartFile, ...]:
        return tuple(f for f in self.files if f.name.startswith(CRD_DIR))

    def file(self, name: str) -> ChartFile | None:
        for f in self.files:
            if f.name == name:
                return f
        return None
