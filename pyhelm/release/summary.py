"""What ``list`` and ``history`` print of a revision: a record without its payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pyhelm.release.model import Release
from pyhelm.release.status import Status


@dataclass(frozen=True)
class Summary:
    """A revision as ``list`` and ``history`` show it."""

    name: str
    namespace: str
    version: int
    status: Status
    last_deployed: datetime | None
    chart_name: str
    chart_version: str
    app_version: str
    # None: not kept beside the record (too long); read the record for it
    description: str | None
    labels: dict[str, str] = field(default_factory=dict)  # the storage object's labels
    rollback_revision: int = 0

    @property
    def chart(self) -> str:
        return f"{self.chart_name}-{self.chart_version}"


def summary_of(release: Release) -> Summary:
    meta = release.chart.metadata
    return Summary(name=release.name, namespace=release.namespace, version=release.version,
                   status=release.info.status, last_deployed=release.info.last_deployed,
                   chart_name=meta.name, chart_version=meta.version,
                   app_version=meta.app_version or "", description=release.info.description,
                   labels=dict(release.labels or {}),
                   rollback_revision=release.info.rollback_revision)
