"""The release store: history, atomic revision claims, locks that survive crashes.

A pending revision is the lock on its release. Its record carries (in a field Helm
ignores) who holds it and until when: ``pyhelm_lock: {owner, since, expires, host, boot,
pidns, pid, start}``. The lease is short (``DEFAULT_LEASE``, 60 s) and a daemon thread
renews it every ``RENEW_EVERY`` seconds while the operation runs (waits included), with
conditional writes: a holder whose record was taken over learns it at its next renewal
or write (``ReleaseConflictError``) and stops writing. Another operation that finds a
pending revision refuses at once, naming the holder, unless the lease ran out or the
holder is provably gone: same boot of the same host, same PID namespace, and that
process (pid and start time) no longer runs. PID checks are never trusted across PID
namespaces or hosts; there only the lease decides. ``recover`` then marks that revision
failed, with a description saying so, and work goes on; ``force_unlock`` is the
operator's escape for a holder that is known dead but whose lease has not run out.
Helm leaves such a release in ``pending-*`` forever; pyhelm does not.

Use::

    store.check_size(pending)        # before anything is written: MAX_RECORD_BYTES
    store.create(pending)            # atomic: ReleaseExistsError if the number is taken
    ...apply...                      # the lease is renewed meanwhile
    store.update(done)               # deployed/failed: the lock field is dropped
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pyhelm.errors import (
    KubeNotFoundError,
    PyhelmError,
    ReleaseConflictError,
    ReleaseError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
    UsageError,
)
from pyhelm.kube.protocol import KubeClient
from pyhelm.release import codec
from pyhelm.release.codec import format_time, parse_time
from pyhelm.release.model import Release, storage_key
from pyhelm.release.status import Status
from pyhelm.release.summary import Summary
from pyhelm.storage.driver import LOCK_FIELD, Driver, MemoryDriver, WriteChain
from pyhelm.storage.kube_objects import PARTS_LABEL, KubeObjectDriver

__all__ = [
    "DEFAULT_LEASE",
    "LOCK_FIELD",
    "MAX_RECORD_BYTES",
    "Lock",
    "ReleaseStore",
    "default_owner",
    "driver_for",
]

DEFAULT_LEASE = timedelta(seconds=60)
RENEW_EVERY = 15.0
# The encoded record (gzip + base64, what Helm stores) of one revision. Helm itself
# fails above ~1 MiB (one Secret); pyhelm chunks up to this. 3 MiB is the API server's
# request-body limit, a size no sane chart reaches (the 1000-service benchmark chart's
# record, 6000 objects, is 85 KiB) and keeps a revision at 4 objects: a 50 MB values file
# is refused instead of becoming 55 Secrets per revision, times the history.
MAX_RECORD_BYTES = 3 * 1024 * 1024
_MEMORY_DRIVERS: dict[str, MemoryDriver] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def default_owner() -> str:
    return f"pyhelm@{socket.gethostname()}/{os.getpid()}"


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


@cache
def _boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id")


@cache
def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when it is gone, or dead
    and not yet reaped: a zombie, state Z, holds nothing)."""
    fields = _read(f"/proc/{pid}/stat").rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else ""


# In a command server's runner (pyhelm.cli.command_server): the pid and start time of the
# ``pyhelm`` process it works for. A lock then names both: a user who kills that client
# has killed the command, though its runner takes a moment to be killed in turn.
CLIENT: dict[str, str] = {}
_IDENTITY = ("host", "boot", "pidns", "pid", "start", "client", "client_start")
_DOOMED_SECONDS = 5.0


def process_identity() -> dict[str, str]:
    """What tells this process apart from any other, across hosts and PID namespaces."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "boot": _boot_id(), "pidns": _pid_namespace(),
            "pid": str(pid), "start": _start_time(pid), **CLIENT}


def _is_gone(pid: str, start: str | None) -> bool:
    now = _start_time(int(pid))
    return not now or (bool(start) and now != start)


@dataclass(frozen=True)
class Lock:
    """The lease a pending revision holds: its owner and when it expires."""

    owner: str
    since: datetime
    expires: datetime
    identity: tuple[tuple[str, str], ...] = ()

    def holder_is_gone(self, now: datetime) -> bool:
        """The lease ran out, or the holder ran on this very machine and PID namespace
        and its process no longer exists (pid gone, or reused by a later process)."""
        if now >= self.expires:
            return True
        held = dict(self.identity)
        mine = process_identity()
        if not held.get("boot") or not held.get("pidns") or any(
                held.get(k) != mine[k] for k in ("host", "boot", "pidns")):
            return False  # elsewhere, or unknowable: only the lease decides
        pid, client = held.get("pid", ""), held.get("client", "")
        if not pid.isdigit():
            return False
        if not client.isdigit() or not _is_gone(client, held.get("client_start")):
            return _is_gone(pid, held.get("start"))
        deadline = time.monotonic() + _DOOMED_SECONDS  # its server is killing it
        while not _is_gone(pid, held.get("start")):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


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
                 owner: str | None = None, lease: timedelta = DEFAULT_LEASE,
                 renew_every: float | None = None,
                 warn: Callable[[str], None] | None = None, remember: bool = False) -> None:
        """``remember``: the store serves one operation (a controller's reconcile step),
        so histories are remembered for its whole life, as within ``remembering``."""
        self.driver = driver
        if warn is not None and hasattr(driver, "warn"):
            driver.warn = warn  # where unreadable records are reported
        self.clock = clock
        self.owner = owner or default_owner()
        self.lease = lease
        self.renew_every = renew_every if renew_every is not None else min(
            RENEW_EVERY, lease.total_seconds() / 4)
        self._mutex = threading.RLock()  # one writer of this store's records at a time
        self._held: dict[tuple[str, int], Release] = {}  # pending records we hold
        self._lost: dict[tuple[str, int], str] = {}
        self._wake = threading.Event()
        self._keeper: threading.Thread | None = None
        self._chain = WriteChain()  # versions this store wrote: it may build on its own
        self._remembering = int(remember)  # depth of `remembering` blocks
        self._remembered: dict[str, list[Release]] = {}  # history read once, by release

    # ------------------------------------------------------------ one operation's reads
    @contextlib.contextmanager
    def remembering(self) -> Iterator[None]:
        """Within this block a release's history is read from the server once: later
        reads of it (``history``, ``last``, ``deployed``: the lock check, superseding,
        pruning, the status a controller writes) see that read with this store's own
        writes applied. An operation that holds a release is the only writer of its
        records, and every write is conditional, so a stale entry fails a write rather
        than being acted on; ``get``, which decides a race, always reads the server.
        Blocks nest; the remembered histories are dropped when the outermost one ends."""
        with self._mutex:
            self._remembering += 1
        try:
            yield
        finally:
            with self._mutex:
                self._remembering -= 1
                if not self._remembering:
                    self._remembered.clear()

    def _remembered_history(self, name: str) -> list[Release] | None:
        with self._mutex:
            known = self._remembered.get(name) if self._remembering else None
            return list(known) if known is not None else None

    def _remember_write(self, written: Release) -> None:
        """This store's own write of a revision, in its release's remembered history."""
        with self._mutex:
            known = self._remembered.get(written.name)
            if known is not None:
                kept = [r for r in known if r.version != written.version]
                self._remembered[written.name] = sorted([*kept, written],
                                                        key=lambda r: r.version)

    # ------------------------------------------------------------ locks
    @staticmethod
    def lock_of(release: Release) -> Lock | None:
        raw = release.extra.get(LOCK_FIELD)
        if not raw or not release.info.status.is_pending:
            return None
        since, expires = parse_time(raw.get("since")), parse_time(raw.get("expires"))
        if since is None or expires is None:
            return None
        identity = tuple(sorted((k, str(v)) for k, v in raw.items()
                                if k in _IDENTITY))
        return Lock(str(raw.get("owner", "")), since, expires, identity)

    def _locked(self, release: Release) -> Release:
        extra = {k: v for k, v in release.extra.items() if k != LOCK_FIELD}
        if release.info.status.is_pending:
            now = self.clock()
            held = self.lock_of(release)
            since = held.since if held and held.owner == self.owner else now
            extra[LOCK_FIELD] = {"owner": self.owner, "since": format_time(since),
                                 "expires": format_time(now + self.lease),
                                 **process_identity()}
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
        if not lock.holder_is_gone(self.clock()):
            return None
        return self._fail_pending(latest, lock, "recovered", "did not finish")

    def force_unlock(self, name: str, by: str) -> str:
        """The operator's escape: fail the pending revision whatever its lease says."""
        latest = self.last(name)
        if not latest.info.status.is_pending:
            raise ReleaseError(f'release "{name}" is not locked (revision '
                               f"{latest.version} is {latest.info.status})")
        lock = self.lock_of(latest)
        return self._fail_pending(latest, lock, f"unlocked by {by}", "was forcibly unlocked")

    def _fail_pending(self, latest: Release, lock: Lock | None, verb: str,
                      what: str) -> str:
        holder = (f"{lock.owner} (started {format_time(lock.since)})" if lock
                  else "an unknown owner")
        message = (f"{verb}: {latest.info.status} by {holder} {what}; revision "
                   f"{latest.version} marked failed")
        now = self.clock()
        info = dataclasses.replace(latest.info, status=Status.FAILED, description=message,
                                   last_deployed=now)
        try:
            self.update(dataclasses.replace(latest, info=info))
        except ReleaseConflictError as exc:
            raise ReleaseInProgressError(
                f'release "{latest.name}": revision {latest.version} changed while being '
                "recovered; another operation holds it") from exc
        return message

    def lost(self, release: Release) -> str | None:
        """Why this process no longer holds the release's pending revision, or None."""
        return self._lost.get((release.name, release.version))

    # ------------------------------------------------------------ lease renewal
    def _hold(self, release: Release) -> None:
        slot = (release.name, release.version)
        if release.info.status.is_pending:
            self._held[slot] = release
            if self._keeper is None or not self._keeper.is_alive():
                self._keeper = threading.Thread(target=self._keep, daemon=True,
                                                name="pyhelm-lease")
                self._keeper.start()
        else:
            self._held.pop(slot, None)

    def _keep(self) -> None:
        while True:
            self._wake.wait(self.renew_every)
            self._wake.clear()
            with self._mutex:
                if not self._held:
                    self._keeper = None
                    return
                for slot, release in list(self._held.items()):
                    self._renew(slot, release)

    def _renew(self, slot: tuple[str, int], release: Release) -> None:
        try:
            self._held[slot] = written = self._write(self._locked(release))
            self._remember_write(written)
        except (ReleaseConflictError, ReleaseNotFoundError) as exc:
            self._held.pop(slot, None)
            self._lost[slot] = str(exc)
        except PyhelmError:
            pass  # unreachable for now: try again; the lease covers a few misses

    # ------------------------------------------------------------ writes
    def check_size(self, release: Release) -> None:
        """Refuse a record over MAX_RECORD_BYTES before anything is written."""
        size = len(codec.encode(release))
        if size > MAX_RECORD_BYTES:
            raise ReleaseError(
                f'release "{release.name}": its record would be {size / 2**20:.1f} MiB '
                f"(compressed), over the {MAX_RECORD_BYTES / 2**20:.0f} MiB limit; every "
                "revision stores the chart and its values: move large data out of values "
                "and chart files")

    def create(self, release: Release) -> None:
        self.check_size(release)
        with self._mutex:
            locked = self._locked(release)
            version = self.driver.create(locked)
            key = (release.namespace, release.key)
            self._chain.forget(key)
            self._chain.wrote(key, "", version)
            if release.resource_version:  # copied from the record it was made from
                self._chain.wrote(key, release.resource_version, version)
            self._hold(locked)
            self._remember_write(dataclasses.replace(locked, resource_version=version))

    def update(self, release: Release) -> None:
        slot = (release.name, release.version)
        with self._mutex:
            if slot in self._lost:
                raise ReleaseConflictError(
                    f'release "{release.name}": this operation lost its lock on revision '
                    f"{release.version} ({self._lost[slot]})")
            try:
                written = self._write(self._locked(release))
            except ReleaseConflictError as exc:
                self._held.pop(slot, None)
                self._lost[slot] = str(exc)
                raise
            self._hold(written)
            self._remember_write(written)

    def _write(self, release: Release) -> Release:
        """A conditional update from the version read, or from this store's own later
        write of it; the release as written, at its new version."""
        key = (release.namespace, release.key)
        base = self._chain.resolve(key, release.resource_version)
        version = self.driver.update(dataclasses.replace(release, resource_version=base))
        self._chain.wrote(key, base, version)
        return dataclasses.replace(release, resource_version=version)

    def delete(self, name: str, version: int) -> None:
        with self._mutex:
            self._held.pop((name, version), None)
            self.driver.delete(name, version)
            namespace = getattr(self.driver, "namespace", "")
            self._chain.forget((namespace, storage_key(name, version)))
            self._forget_revision(name, version)

    def _forget_revision(self, name: str, version: int) -> None:
        with self._mutex:
            known = self._remembered.get(name)
            if known is not None:
                self._remembered[name] = [r for r in known if r.version != version]

    def sweep(self, name: str) -> None:
        """Remove leftovers of a release whose records are all gone (chunk parts)."""
        sweeper = getattr(self.driver, "sweep_release", None)
        if sweeper is not None:
            sweeper(name)

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
            # pruned by another operation since the history was read: gone all the same
            with contextlib.suppress(KubeNotFoundError):
                self.driver.delete(name, release.version, parts=PARTS_LABEL in release.labels)
            self._forget_revision(name, release.version)
            removed.append(release.version)
        return removed

    # ------------------------------------------------------------ reads
    def get(self, name: str, version: int) -> Release:
        return self.driver.get(name, version)

    def history(self, name: str, *, fresh: bool = False) -> list[Release]:
        """Every readable revision, oldest first (remembered within ``remembering``,
        unless ``fresh``: what others may have written since is wanted)."""
        known = None if fresh else self._remembered_history(name)
        if known is not None:
            return known
        found = self.driver.history(name)
        with self._mutex:
            if self._remembering:
                self._remembered[name] = list(found)
        return found

    def last(self, name: str) -> Release:
        """The newest readable revision (only that record is decoded, unless the
        history is remembered)."""
        known = self._remembered_history(name)
        if known is None:
            return self.driver.newest(name)
        if not known:
            raise ReleaseNotFoundError(f'release "{name}" not found')
        return known[-1]

    def history_summaries(self, name: str) -> list[Summary]:
        """What ``history`` prints of each revision, oldest first."""
        return self.driver.history_summaries(name)

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

    def list_summaries(self) -> list[Summary]:
        """What ``list`` prints of the newest revision of every release."""
        return sorted(self.driver.latest_summaries(), key=lambda s: (s.namespace, s.name))
