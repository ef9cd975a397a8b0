"""Plugin verbs: list the installed plugins (more verbs join as they are built).

Data in, data out: the CLI passes the plugin directories and Helm's data home from its
settings and prints what comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhelm.plugin import loader, signing


@dataclass(frozen=True)
class ListedPlugin:
    """One row of ``plugin list``."""

    name: str
    version: str
    type: str
    api_version: str
    provenance: str
    source: str


def list_plugins(directories: Sequence[Path], *, data_home: Path, kind: str = "",
                 on_skip: loader.OnSkip | None = None) -> list[ListedPlugin]:
    """The plugins of ``directories`` (of type ``kind`` when given), as Helm lists them."""
    return [ListedPlugin(name=p.name, version=p.metadata.version, type=p.metadata.type,
                         api_version=p.metadata.api_version,
                         provenance=signing.status(p.name, p.metadata.version, data_home),
                         source=p.metadata.source_url or "unknown")
            for p in loader.find_plugins(directories, kind=kind, on_skip=on_skip)]
