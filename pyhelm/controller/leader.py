"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go's (which
controller-runtime, and so helm-controller, uses) does it.

The Lease is ``helm-controller-leader-election`` (helm-controller's ID since its 0.9.0;
with ``--watch-label-selector``, Flux's ``GenerateID`` appends the first 8 hex digits of
the selector's SHA-256, so each shard has a Lease of its own) in RUNTIME_NAMESPACE.
``holderIdentity`` is ``<hostname>_<uuid4>``, ``acquireTime``/``renewTime`` are
MicroTimes, ``leaseTransitions`` counts changes of holder. Every write is an update at
the resourceVersion read: a conflict means another candidate wrote first.

A candidate takes the Lease when it is free (no holder: released), or when the record it
last saw has not changed for ``lease_duration`` seconds of its own clock (never the
holder's timestamps: the clocks may disagree). The leader renews every ``retry_period``;
when no renewal succeeded for ``renew_deadline`` it has lost the Lease and must stop at
once (the CLI exits non-zero, as controller-runtime does, and its Deployment restarts
it). ``release()`` (on SIGTERM, controller-runtime's ReleaseOnCancel) empties
``holderIdentity`` with ``leaseDurationSeconds: 1`` so a standby takes over at once.

    elector = LeaderElector(kube, ElectionConfig(name=election_id(selector),
                                                 namespace=namespace))
    if elector.acquire(stop):          # blocks while standing by
        threading.Thread(target=elector.keep, args=(done,)).start()  # False: lost
        ...reconcile...
        elector.release()
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pyhelm.errors import KubeConflictError, KubeError, KubeNotFoundError, PyhelmError

LEASE_API = "coordination.k8s.io/v1"
LEASE_KIND = "Lease"
BASE_ID = "helm-controller-leader-election"


class LeaseClient(Protocol):
    """The part of a kube client leader election uses."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]: ...

    def create(self, obj: dict[str, Any]) -> dict[str, Any]: ...

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]: ...


def election_id(label_selector: str | None, base: str = BASE_ID) -> str:
    """helm-controller's Lease name: ``base``, or with a watch label selector, ``base-``
    and the first 8 hex digits of the selector's SHA-256 (Flux's GenerateID)."""
    if not label_selector:
        return base
    return f"{base}-{hashlib.sha256(label_selector.encode()).hexdigest()[:8]}"


def new_identity() -> str:
    """``<hostname>_<uuid4>``, as controller-runtime makes it (hostname: the pod name)."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def holder_host(identity: str) -> str:
    """The hostname part of a holderIdentity (``""`` when there is none)."""
    return identity.rsplit("_", 1)[0] if "_" in identity else ""


def micro_time(moment: datetime) -> str:
    """A metav1.MicroTime: RFC 3339 with microseconds, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ElectionConfig:
    name: str
    namespace: str
    identity: str = field(default_factory=new_identity)
    lease_duration: float = 35.0
    renew_deadline: float = 30.0
    retry_period: float = 5.0

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > 0 or self.retry_period <= 0:
            raise ValueError("leader election needs lease duration > renew deadline > 0 "
                             "and a retry period > 0")
        if self.renew_deadline <= self.retry_period * 1.2:
            raise ValueError("leader election needs a renew deadline above 1.2 times the "
                             "retry period (client-go's JitterFactor)")


class LeaderElector:
    """One candidate for one Lease. ``is_leader`` is set while it holds it;
    ``previous_holder`` is whom it took the Lease from (``""``: nobody, or released)."""

    def __init__(self, kube: LeaseClient, config: ElectionConfig, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 log: Callable[[str], None] | None = None) -> None:
        self.kube, self.config = kube, config
        self.monotonic, self.now = monotonic, now
        self.log = log or (lambda _: None)
        self.is_leader = threading.Event()
        self.standing_by = threading.Event()  # has seen the Lease held by another
        self.previous_holder = ""
        self.holder = ""  # the holder last seen
        self._observed: dict[str, Any] | None = None  # the spec last seen changing
        self._observed_at = 0.0
        self._last_renew = 0.0

    # ------------------------------------------------------------ one attempt
    def try_acquire_or_renew(self) -> bool:
        """One attempt to take or keep the Lease; True when this candidate holds it."""
        cfg = self.config
        moment = self.now()
        try:
            lease = dict(self.kube.get(LEASE_API, LEASE_KIND, cfg.name, cfg.namespace))
        except KubeNotFoundError:
            first = self._spec(moment, moment, 0)
            try:
                self.kube.create({"apiVersion": LEASE_API, "kind": LEASE_KIND,
                                  "metadata": {"name": cfg.name, "namespace": cfg.namespace},
                                  "spec": first})
            except KubeError:  # another candidate created it first (or the API failed)
                return False
            self._took(first, "")
            return True
        spec = dict(lease.get("spec") or {})
        holder = str(spec.get("holderIdentity") or "")
        if spec != self._observed:
            self._observed, self._observed_at = spec, self.monotonic()
        self.holder = holder
        mine = holder == cfg.identity
        duration = float(spec.get("leaseDurationSeconds") or cfg.lease_duration)
        if holder and not mine and self.monotonic() < self._observed_at + duration:
            self.standing_by.set()
            return False  # held by a live candidate
        if mine:
            acquired = str(spec.get("acquireTime") or micro_time(moment))
            transitions = int(spec.get("leaseTransitions") or 0)
        else:  # a change of holder (from a released Lease too, as client-go counts)
            acquired = micro_time(moment)
            transitions = int(spec.get("leaseTransitions") or 0) + 1
        new_spec = self._spec(moment, None, transitions)
        new_spec["acquireTime"] = acquired
        updated = {**lease, "spec": new_spec}
        try:
            self.kube.replace(updated)  # metadata.resourceVersion as read: optimistic
        except KubeConflictError:
            return False  # someone else wrote it first
        except KubeError:
            return False
        if not mine:
            self._took(new_spec, holder)
        else:
            self._observed, self._observed_at = new_spec, self.monotonic()
        return True

    def _spec(self, moment: datetime, acquired: datetime | None,
              transitions: int) -> dict[str, Any]:
        spec: dict[str, Any] = {"holderIdentity": self.config.identity,
                                "leaseDurationSeconds": max(1, round(self.config.lease_duration)),
                                "renewTime": micro_time(moment),
                                "leaseTransitions": transitions}
        if acquired is not None:
            spec["acquireTime"] = micro_time(acquired)
        return spec

    def _took(self, spec: dict[str, Any], previous: str) -> None:
        self._observed, self._observed_at = spec, self.monotonic()
        self.previous_holder, self.holder = previous, self.config.identity
        self.standing_by.clear()
        self.is_leader.set()

    # ------------------------------------------------------------ loops
    def acquire(self, stop: threading.Event) -> bool:
        """Try every ``retry_period`` until this candidate leads (True) or ``stop`` is
        set (False)."""
        reported = ""
        while not stop.is_set():
            try:
                if self.try_acquire_or_renew():
                    self._last_renew = self.monotonic()
                    self.log(f"acquired Lease {self.config.namespace}/{self.config.name}"
                             + (f" from {self.previous_holder}" if self.previous_holder
                                else ""))
                    return True
            except PyhelmError as exc:
                self.log(f"Lease {self.config.namespace}/{self.config.name}: {exc}")
            if self.holder and self.holder != reported:
                reported = self.holder
                self.log(f"standing by: Lease {self.config.namespace}/{self.config.name} "
                         f"is held by {self.holder}")
            stop.wait(self.config.retry_period)
        return False

    def keep(self, done: threading.Event) -> bool:
        """Renew every ``retry_period`` until ``done`` is set (True) or no renewal has
        succeeded for ``renew_deadline`` seconds (False: the Lease is lost)."""
        cfg = self.config
        while not done.wait(cfg.retry_period):
            try:
                renewed = self.try_acquire_or_renew()
            except PyhelmError as exc:
                self.log(f"renewing Lease {cfg.namespace}/{cfg.name}: {exc}")
                renewed = False
            now = self.monotonic()
            if renewed:
                self._last_renew = now
            elif self.holder and self.holder != cfg.identity:
                self.is_leader.clear()  # another candidate holds it: lost at once
                return False
            elif now - self._last_renew >= cfg.renew_deadline:
                self.is_leader.clear()
                return False
        return True

    def release(self) -> bool:
        """Give the Lease up (holder emptied, ``leaseDurationSeconds: 1``), when this
        candidate still holds it; True when released."""
        cfg = self.config
        if not self.is_leader.is_set():
            return False
        try:
            lease = dict(self.kube.get(LEASE_API, LEASE_KIND, cfg.name, cfg.namespace))
            spec = dict(lease.get("spec") or {})
            if spec.get("holderIdentity") != cfg.identity:
                return False
            moment = micro_time(self.now())
            self.kube.replace({**lease, "spec": {
                "holderIdentity": "", "leaseDurationSeconds": 1, "acquireTime": moment,
                "renewTime": moment, "leaseTransitions": int(spec.get("leaseTransitions")
                                                             or 0)}})
        except PyhelmError as exc:
            self.log(f"releasing Lease {cfg.namespace}/{cfg.name}: {exc}")
            return False
        self.is_leader.clear()
        return True
