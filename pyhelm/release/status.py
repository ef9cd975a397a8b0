"""A release revision's status, with Helm's spellings."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    UNKNOWN = "unknown"
    DEPLOYED = "deployed"
    UNINSTALLED = "uninstalled"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    UNINSTALLING = "uninstalling"
    PENDING_INSTALL = "pending-install"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"

    @property
    def is_pending(self) -> bool:
        return self in (Status.PENDING_INSTALL, Status.PENDING_UPGRADE,
                        Status.PENDING_ROLLBACK, Status.UNINSTALLING)
