"""Leader election on an in-memory Lease store with resourceVersion checks and a fake
clock: acquisition, standing by, expiry and takeover (leaseTransitions), renewal, the
renew deadline, release, conflicts, Flux's per-shard Lease names."""

from __future__ import annotations

import copy
import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pyhelm.controller.leader import (
    BASE_ID,
    ElectionConfig,
    LeaderElector,
    election_id,
    holder_host,
    micro_time,
    new_identity,
)
from pyhelm.errors import KubeConflictError, KubeNotFoundError, KubeUnreachableError


class FakeLeases:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.version = 0
        self.down = False
        self.writes = 0

    def _check(self) -> None:
        if self.down:
            raise KubeUnreachableError("the API server is down")

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        self._check()
        assert (api_version, kind) == ("coordination.k8s.io/v1", "Lease")
        try:
            return copy.deepcopy(self.objects[(str(namespace), name)])
        except KeyError:
            raise KubeNotFoundError(f"Lease {name} not found") from None

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._check()
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        if key in self.objects:
            raise KubeConflictError("already exists")
        self.version += 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self.version)
        self.objects[key] = stored
        self.writes += 1
        return copy.deepcopy(stored)

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._check()
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        if self.objects[key]["metadata"]["resourceVersion"] != \
                obj["metadata"].get("resourceVersion"):
            raise KubeConflictError("the object has been modified")
        self.version += 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self.version)
        self.objects[key] = stored
        self.writes += 1
        return copy.deepcopy(stored)

    def spec(self) -> dict[str, Any]:
        return dict(next(iter(self.objects.values()))["spec"])


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _candidate(leases: FakeLeases, clock: Clock, who: str) -> LeaderElector:
    config = ElectionConfig(name=BASE_ID, namespace="flux-system", identity=who,
                            lease_duration=4, renew_deadline=3, retry_period=1)
    return LeaderElector(leases, config, monotonic=clock,
                         now=lambda: datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
                        + timedelta(seconds=clock.t - 1000.0))


def test_first_candidate_creates_the_lease_and_the_second_stands_by() -> None:
    leases, clock = FakeLeases(), Clock()
    a, b = _candidate(leases, clock, "host-a_1"), _candidate(leases, clock, "host-b_2")
    assert a.try_acquire_or_renew()
    assert a.is_leader.is_set() and a.previous_holder == ""
    spec = leases.spec()
    assert spec == {"holderIdentity": "host-a_1", "leaseDurationSeconds": 4,
                    "acquireTime": "2026-12-07T16:00:00.000000Z",
                    "renewTime": "2026-12-07T16:00:00.000000Z", "leaseTransitions": 0}
    assert not b.try_acquire_or_renew()
    assert b.standing_by.is_set() and not b.is_leader.is_set()
    assert b.holder == "host-a_1"
    # a renews: same acquireTime and transitions, the record changes, b keeps waiting
    clock.t += 3
    assert a.try_acquire_or_renew()
    assert leases.spec()["leaseTransitions"] == 0
    clock.t += 3
    assert not b.try_acquire_or_renew()  # b saw the renewal 3 s ago... on its own clock


def test_a_lease_not_renewed_for_its_duration_is_taken_over() -> None:
    leases, clock = FakeLeases(), Clock()
    a, b = _candidate(leases, clock, "host-a_1"), _candidate(leases, clock, "host-b_2")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()  # b observes the record now
    clock.t += 3.9
    assert not b.try_acquire_or_renew()
    clock.t += 0.2  # 4.1 s without a change, measured by b's clock
    assert b.try_acquire_or_renew()
    assert b.previous_holder == "host-a_1"
    spec = leases.spec()
    assert spec["holderIdentity"] == "host-b_2"
    assert spec["leaseTransitions"] == 1
    # the old leader finds someone else holding it: lost at once
    assert a.try_acquire_or_renew() is False
    assert a.holder == "host-b_2"


def test_keep_gives_up_after_the_renew_deadline() -> None:
    leases, clock = FakeLeases(), Clock()
    a = _candidate(leases, clock, "host-a_1")
    assert a.acquire(threading.Event())
    leases.down = True

    class Ticking(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            clock.t += timeout or 0
            return False

    assert a.keep(Ticking()) is False  # 3 tries of 1 s each failed: deadline reached
    assert clock.t - 1000.0 >= 3
    assert not a.is_leader.is_set()


def test_keep_renews_until_done() -> None:
    leases, clock = FakeLeases(), Clock()
    a = _candidate(leases, clock, "host-a_1")
    assert a.acquire(threading.Event())
    ticks = []

    class Ticking(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            clock.t += timeout or 0
            ticks.append(clock.t)
            return len(ticks) > 5

    before = leases.writes
    assert a.keep(Ticking()) is True
    assert leases.writes == before + 5
    assert a.is_leader.is_set()


def test_release_lets_a_standby_take_over_at_once() -> None:
    leases, clock = FakeLeases(), Clock()
    a, b = _candidate(leases, clock, "host-a_1"), _candidate(leases, clock, "host-b_2")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    assert a.release()
    spec = leases.spec()
    assert spec["holderIdentity"] == "" and spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 0
    assert not a.is_leader.is_set()
    assert b.try_acquire_or_renew()  # no waiting for the lease duration
    assert b.previous_holder == ""  # released: nobody to fence
    assert leases.spec()["leaseTransitions"] == 1
    assert not a.release()  # not the holder any more


def test_a_conflicting_write_loses() -> None:
    leases, clock = FakeLeases(), Clock()
    a, b = _candidate(leases, clock, "host-a_1"), _candidate(leases, clock, "host-b_2")
    assert a.try_acquire_or_renew()
    assert a.release()
    real_get = leases.get

    def racing_get(*args: Any, **kwargs: Any) -> dict[str, Any]:
        read = real_get(*args, **kwargs)
        leases.get = real_get  # type: ignore[method-assign]
        assert b.try_acquire_or_renew()  # b writes between a's read and a's write
        return read

    leases.get = racing_get  # type: ignore[method-assign]
    assert not a.try_acquire_or_renew()
    assert leases.spec()["holderIdentity"] == "host-b_2"


def test_acquire_stops_when_asked() -> None:
    leases, clock = FakeLeases(), Clock()
    a, b = _candidate(leases, clock, "host-a_1"), _candidate(leases, clock, "host-b_2")
    assert a.try_acquire_or_renew()
    stop = threading.Event()
    stop.set()
    assert b.acquire(stop) is False


def test_names_identities_and_times() -> None:
    assert election_id(None) == "helm-controller-leader-election"
    selector = "sharding.fluxcd.io/key in (shard1)"
    assert election_id(selector) == "helm-controller-leader-election-" + hashlib.sha256(
        selector.encode()).hexdigest()[:8]
    assert election_id("!sharding.fluxcd.io/key") != election_id(selector)
    identity = new_identity()
    host, _, tail = identity.rpartition("_")
    assert host and len(tail) == 36 and holder_host(identity) == host
    assert holder_host("") == ""
    assert micro_time(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == \
        "2026-01-02T03:04:05.006000Z"
    with pytest.raises(ValueError):
        ElectionConfig(name="x", namespace="y", lease_duration=3, renew_deadline=4)
    with pytest.raises(ValueError):
        ElectionConfig(name="x", namespace="y", lease_duration=4, renew_deadline=3,
                       retry_period=3)
