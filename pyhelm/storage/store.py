"""The release store: history, atomic revision claims, locks that survive crashes.

A pending revision is the lock on its release. Its record carries (in a field Helm
ignores) who holds it and until when: ``pyhelm_lock: {owner, since, expires}``. Another
operation that finds a pending revision refuses at once, naming the holder, unless the
holder is provably gone (same host, process no longer running) or its lease expired; then
``recover`` marks that revision failed, with a description saying so, and work goes on.
Helm leaves such a release in ``pending-*`` forever; pyhelm does not.

Use::

    store.create(pending)            # atomic: ReleaseExistsError if the number is taken
    ...apply...
    store.update(done)               # deployed/failed: the lock field is dropped
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyhelm.errors import ReleaseInProgressError, ReleaseNotFoundError, UsageError
from pyhelm.kube.protocol import KubeClient
from pyhelm.release.codec import format_time, parse_time
from pyhelm.release.model import Release
from pyhelm.release.status import Status
from pyhelm.storage.driver import Driver, MemoryDriver
from pyhelm.storage.kube_objects import KubeObjectDriver

LOCK_FIELD = "pyhelm_lock"
DEFAULT_LEASE = timedelta(minutes=15)
_MEMORY_DRIVERS: dict[str, MemoryDriver] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def default_owner() -> str:
    return f"pyhelm@{socket.gethostname()}/{os.getpid()}"


@dataclass(frozen=True)
class Lock:
    owner: str
    since: datetime
    expires: datetime

    def holder_is_gone(self, now: datetime) -> bool:
        if now >= self.expires:
            return True
        host, _, pid = self.owner.partition("@")[2].rpartition("/")
        if host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def driver_for(name: str, kube: KubeClient | None, namespace: str) -> Driver:
    """``secret`` (default), ``configmap`` or ``memory``, as HELM_DRIVER names them."""
    name = (name or "secret").lower()
    if name in ("secret", "secrets"):
        return KubeObjectDriver(_need(kube), namespace, "Secret")
    if name in ("configmap", "configmaps"):
        return KubeObjectDriver(_need(kube), namespace, "ConfigMap")
    if name == "memory":
        return _MEMORY_DRIVERS.setdefault(namespace, MemoryDriver(namespace))
    raise UsageError(f'unknown storage driver "{name}" (use secret, configmap or memory)')


def _need(kube: KubeClient | None) -> KubeClient:
    if kube is None:
        raise UsageError("this storage driver needs a cluster connection")
    return kube


class ReleaseStore:
    def __init__(self, driver: Driver, *, clock: Callable[[], datetime] = _now,
                 owner: str | None = None, lease: timedelta = DEFAULT_LEASE) -> None:
        self.driver = driver
        self.clock = clock
        self.owner = owner or default_owner()
        self.lease = lease

    # ------------------------------------------------------------ locks
    @staticmethod
    def lock_of(release: Release) -> Lock | None:
        raw = release.extra.get(LOCK_FIELD)
        if not raw or not release.info.status.is_pending:
            return None
        since, expires = parse_time(raw.get("since")), parse_time(raw.get("expires"))
        if since is None or expires is None:
            return None
        return Lock(str(raw.get("owner", "")), since, expires)

    def _locked(self, release: Release) -> Release:
        extra = {k: v for k, v in release.extra.items() if k != LOCK_FIELD}
        if release.info.status.is_pending:
            now = self.clock()
            held = self.lock_of(release)
            since = held.since if held and held.owner == self.owner else now
            extra[LOCK_FIELD] = {"owner": self.owner, "since": format_time(since),
                                 "expires": format_time(now + self.lease)}
        return dataclasses.replace(release, extra=extra)

    def check_not_busy(self, release: Release) -> None:
        """Raise ReleaseInProgressError when a live operation holds this release."""
        lock = self.lock_of(release)
        if release.info.status.is_pending and (lock is None or not lock.holder_is_gone(
                self.clock())):
            who = f" by {lock.owner} since {format_time(lock.since)}" if lock else ""
            raise ReleaseInProgressError(
                f'release "{release.name}": operation in progress ({release.info.status})'
                f"{who}")

    def recover(self, name: str) -> str | None:
        """Fail a pending revision whose holder is gone; the message, or None."""
        try:
            latest = self.last(name)
        except ReleaseNotFoundError:
            return None
        lock = self.lock_of(latest)
        if not latest.info.status.is_pending or lock is None:
            return None
        now = self.clock()
        if not lock.holder_is_gone(now):
            return None
        message = (f"recovered: {latest.info.status} by {lock.owner} (started "
                   f"{format_time(lock.since)}) did not finish; revision {latest.version} "
                   "marked failed")
        info = dataclasses.replace(latest.info, status=Status.FAILED, description=message,
                                   last_deployed=now)
        self.driver.update(dataclasses.replace(
            latest, info=info, extra={k: v for k, v in latest.extra.items() if k != LOCK_FIELD}))
        return message

    # ------------------------------------------------------------ writes
    def create(self, release: Release) -> None:
        self.driver.create(self._locked(release))

    def update(self, release: Release) -> None:
        self.driver.update(self._locked(release))

    def delete(self, name: str, version: int) -> None:
        self.driver.delete(name, version)

    def prune(self, name: str, keep: int) -> list[int]:
        """Delete the oldest revisions beyond ``keep``; never the deployed or a pending one."""
        if keep <= 0:
            return []
        revisions = self.history(name)
        removable = [r for r in revisions
                     if r.info.status not in (Status.DEPLOYED,) and not r.info.status.is_pending]
        excess = len(revisions) - keep
        removed = []
        for release in removable[:max(0, excess)]:
            self.driver.delete(name, release.version)
            removed.append(release.version)
        return removed

    # ------------------------------------------------------------ reads
    def get(self, name: str, version: int) -> Release:
        return self.driver.get(name, version)

    def history(self, name: str) -> list[Release]:
        return self.driver.history(name)

    def last(self, name: str) -> Release:
        revisions = self.history(name)
        if not revisions:
            raise ReleaseNotFoundError(f'release "{name}" not found')
        return revisions[-1]

    def deployed(self, name: str) -> Release:
        for release in reversed(self.history(name)):
            if release.info.status == Status.DEPLOYED:
                return release
        raise ReleaseNotFoundError(f'release "{name}" has no deployed revision')

    def list_releases(self, statuses: Iterable[Status] | None = None) -> list[Release]:
        """The newest revision of every release (only those records are decoded)."""
        wanted = set(statuses) if statuses is not None else None
        return sorted((r for r in self.driver.latest()
                       if wanted is None or r.info.status in wanted),
                      key=lambda r: (r.namespace, r.name))
