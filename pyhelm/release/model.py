"""A release revision: what was installed, with which values, and how it went."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pyhelm.release.status import Status

if TYPE_CHECKING:  # `list` and `history` read summaries and never load a chart's model
    from pyhelm.chart.model import Chart


@dataclass(frozen=True)
class Info:
    """A revision's status, times, description and notes."""

    first_deployed: datetime | None
    last_deployed: datetime | None
    deleted: datetime | None
    description: str
    status: Status
    notes: str = ""
    rollback_revision: int = 0  # the revision a rollback restored (Helm 4.3); 0: not one


@dataclass(frozen=True)
class HookRecord:
    """A hook as a release record keeps it, with its last run."""

    name: str
    kind: str
    path: str
    manifest: str
    events: list[str]
    weight: int = 0
    delete_policies: list[str] = field(default_factory=list)
    last_run_started: datetime | None = None
    last_run_completed: datetime | None = None
    last_run_phase: str = ""


@dataclass(frozen=True)
class Release:
    """One revision of a release, as stored in Helm's record format."""

    name: str
    namespace: str
    version: int
    info: Info
    chart: Chart
    config: dict[str, Any]
    manifest: str
    hooks: list[HookRecord] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    # fields of a record written by another tool that pyhelm keeps but does not use
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # the storage object's resourceVersion when this record was read (not part of the
    # record): an update must carry it, so a write over someone else's fails
    resource_version: str = field(default="", compare=False)

    @property
    def state(self) -> str:
        """The status as Helm writes it: "deployed", "pending-upgrade", ..."""
        return str(self.info.status.value)

    @property
    def key(self) -> str:
        """The storage object's name, Helm's: sh.helm.release.v1.NAME.vN."""
        return storage_key(self.name, self.version)


def storage_key(name: str, version: int) -> str:
    return f"sh.helm.release.v1.{name}.v{version}"
