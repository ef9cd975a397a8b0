"""Records that survive crashes and races: chunked writes that cannot tear, conditional
updates, unreadable records skipped, lease renewal, liveness across PID namespaces."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from pyhelm.errors import ReleaseConflictError, ReleaseError, ReleaseInProgressError
from pyhelm.release.model import Release
from pyhelm.release.status import Status
from pyhelm.storage.driver import MemoryDriver
from pyhelm.storage.store import (
    LOCK_FIELD,
    MAX_RECORD_BYTES,
    ReleaseStore,
    driver_for,
    process_identity,
)

sys.path.insert(0, os.path.dirname(__file__))
from test_store import T0, make_release


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs, no handler catches it."""


class CrashingKube:
    """A real client that dies before its N-th write."""

    def __init__(self, kube: Any, writes_allowed: int) -> None:
        self.kube = kube
        self.left = writes_allowed
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    def _write(self, verb: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.left == 0:
            raise Crash
        self.left -= 1
        target = args[0]["metadata"]["name"] if isinstance(args[0], dict) else args[2]
        self.writes.append(f"{verb} {target}")
        return call(*args, **kwargs)

    def create(self, obj: Any) -> Any:
        return self._write("create", self.kube.create, obj)

    def replace(self, obj: Any) -> Any:
        return self._write("replace", self.kube.replace, obj)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._write("delete", self.kube.delete, *args, **kwargs)


@pytest.fixture
def kube(kubeconfig: str, namespace: str) -> Iterator[Any]:
    from pyhelm.kube.client import connect

    client = connect(kubeconfig=kubeconfig, namespace=namespace)
    yield client
    client.close()


def _upgrade_records(store: ReleaseStore, name: str, namespace: str, payload: bytes) -> None:
    """The record writes of an upgrade: claim v2, supersede v1, mark v2 deployed."""
    pending = make_release(name, 2, Status.PENDING_UPGRADE, namespace, payload=payload[::-1])
    store.create(pending)
    store.update(dataclasses.replace(store.get(name, 1), info=dataclasses.replace(
        store.get(name, 1).info, status=Status.SUPERSEDED)))
    store.update(dataclasses.replace(pending, info=dataclasses.replace(
        pending.info, status=Status.DEPLOYED)))


@pytest.mark.cluster
@pytest.mark.parametrize("kind", ["secret", "configmap"])
def test_a_crash_at_any_write_of_a_chunked_upgrade_leaves_every_record_readable(
        kube: Any, namespace: str, kind: str) -> None:
    payload = os.urandom(1_200_000)  # incompressible: 2 parts
    crashes = 0
    for allowed in range(40):
        name = f"r{allowed}"
        ReleaseStore(driver_for(kind, kube, namespace)).create(
            make_release(name, 1, Status.DEPLOYED, namespace, payload=payload))
        crashing = CrashingKube(kube, allowed)
        store = ReleaseStore(driver_for(kind, crashing, namespace))  # type: ignore[arg-type]
        try:
            _upgrade_records(store, name, namespace, payload)
        except Crash:
            crashes += 1
        else:
            break
        finally:
            store._held.clear()  # a dead process renews nothing
        reader = ReleaseStore(driver_for(kind, kube, namespace), warn=_fail_on_warning)
        revisions = reader.history(name)
        assert revisions[0].version == 1, (allowed, crashing.writes)
        assert revisions[0].chart.files[0].data == payload, (allowed, crashing.writes)
        if len(revisions) == 2:
            assert revisions[1].chart.files[0].data == payload[::-1]
    assert crashes >= 5, "the upgrade should have had several write points"
    # a finished upgrade leaves exactly the parts its heads point at
    names = {o["metadata"]["name"] for o in kube.list("v1", _kind(kind), namespace)
             if o["metadata"]["name"].startswith(f"sh.helm.release.v1.{name}.")}
    assert len(names) == 2 + 2 * 2, sorted(names)


def _kind(driver: str) -> str:
    return "Secret" if driver == "secret" else "ConfigMap"


def _fail_on_warning(message: str) -> None:
    raise AssertionError(f"unexpected warning: {message}")


@pytest.mark.cluster
def test_a_status_change_of_a_chunked_record_rewrites_only_its_head(
        kube: Any, namespace: str) -> None:
    payload = os.urandom(1_200_000)
    ReleaseStore(driver_for("secret", kube, namespace)).create(
        make_release("big", 1, Status.DEPLOYED, namespace, payload=payload))
    counting = CrashingKube(kube, 1000)
    store = ReleaseStore(driver_for("secret", counting, namespace))  # type: ignore[arg-type]
    old = store.get("big", 1)
    store.update(dataclasses.replace(old, info=dataclasses.replace(
        old.info, status=Status.SUPERSEDED, description="Superseded")))
    assert counting.writes == ["replace sh.helm.release.v1.big.v1"]
    again = ReleaseStore(driver_for("secret", kube, namespace)).get("big", 1)
    assert again.info.status is Status.SUPERSEDED and again.info.description == "Superseded"
    assert again.chart.files[0].data == payload


@pytest.mark.cluster
def test_an_unreadable_record_is_skipped_and_reported(kube: Any, namespace: str) -> None:
    payload = os.urandom(1_200_000)
    store = ReleaseStore(driver_for("secret", kube, namespace))
    store.create(make_release("torn", 1, Status.SUPERSEDED, namespace))
    store.create(make_release("torn", 2, Status.DEPLOYED, namespace, payload=payload))
    store.create(make_release("fine", 1, Status.DEPLOYED, namespace))
    part = next(o["metadata"]["name"] for o in kube.list("v1", "Secret", namespace)
                if o["metadata"]["name"].endswith(".part1"))
    kube.delete("v1", "Secret", part, namespace)
    warnings: list[str] = []
    reader = ReleaseStore(driver_for("secret", kube, namespace), warn=warnings.append)
    assert [r.version for r in reader.history("torn")] == [1]
    assert {(r.name, r.version) for r in reader.list_releases()} == {("torn", 1), ("fine", 1)}
    assert warnings and f"part {part} not found" in warnings[0]
    with pytest.raises(ReleaseError, match=r"unreadable: part .* not found"):
        reader.get("torn", 2)


# ---------------------------------------------------------------- conditional writes
@pytest.fixture(params=["memory", "secret"])
def two_stores(request: pytest.FixtureRequest) -> tuple[ReleaseStore, ReleaseStore]:
    if request.param == "memory":
        driver = MemoryDriver("default")
        return ReleaseStore(driver, owner="a"), ReleaseStore(driver, owner="b")
    request.node.add_marker(pytest.mark.cluster)
    kube = request.getfixturevalue("kube")
    namespace = request.getfixturevalue("namespace")
    return (ReleaseStore(driver_for("secret", kube, namespace), owner="a"),
            ReleaseStore(driver_for("secret", kube, namespace), owner="b"))


def _ns(store: ReleaseStore) -> str:
    return getattr(store.driver, "namespace", "") or "default"


def test_an_update_over_a_record_changed_since_it_was_read_fails(
        two_stores: tuple[ReleaseStore, ReleaseStore]) -> None:
    first, second = two_stores
    first.create(make_release("cw", 1, Status.DEPLOYED, _ns(first)))
    seen_by_first, seen_by_second = first.get("cw", 1), second.get("cw", 1)
    second.update(_with_status(seen_by_second, Status.SUPERSEDED))
    with pytest.raises(ReleaseConflictError, match="changed by another operation"):
        first.update(_with_status(seen_by_first, Status.FAILED))
    assert first.get("cw", 1).info.status is Status.SUPERSEDED
    # a writer may update its own write again from the copy it read
    mine = second.get("cw", 1)
    second.update(_with_status(mine, Status.FAILED))
    second.update(_with_status(mine, Status.DEPLOYED))
    assert first.get("cw", 1).info.status is Status.DEPLOYED


def _with_status(release: Release, status: Status) -> Release:
    return dataclasses.replace(release, info=dataclasses.replace(release.info, status=status))


def test_an_operation_whose_lock_was_taken_cannot_write_again(
        two_stores: tuple[ReleaseStore, ReleaseStore]) -> None:
    holder, operator = two_stores
    pending = make_release("held", 1, Status.PENDING_INSTALL, _ns(holder))
    holder.create(pending)
    message = operator.force_unlock("held", by="admin@ops")
    assert message.startswith("unlocked by admin@ops: pending-install by a (started ")
    assert operator.last("held").info.status is Status.FAILED
    with pytest.raises(ReleaseConflictError):
        holder.update(_with_status(pending, Status.DEPLOYED))
    assert operator.last("held").info.status is Status.FAILED


# ---------------------------------------------------------------- leases
def test_the_lease_is_renewed_while_the_operation_runs_and_lapses_when_it_stops() -> None:
    driver = MemoryDriver("default")
    holder = ReleaseStore(driver, owner="holder", lease=timedelta(seconds=1.2),
                          renew_every=0.2)
    holder.create(make_release("lease", 1, Status.PENDING_INSTALL))
    first = holder.get("lease", 1).extra[LOCK_FIELD]["expires"]
    time.sleep(1.5)  # longer than the lease: only renewals keep it
    renewed = holder.get("lease", 1)
    assert renewed.extra[LOCK_FIELD]["expires"] > first
    other = ReleaseStore(driver, owner="other")
    lock = other.lock_of(renewed)
    assert lock is not None and not lock.holder_is_gone(other.clock())
    holder.update(_with_status(renewed, Status.DEPLOYED))
    assert LOCK_FIELD not in holder.get("lease", 1).extra


def test_liveness_trusts_pids_only_within_the_same_boot_and_pid_namespace() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = process_identity()
    store = ReleaseStore(MemoryDriver("default"), clock=lambda: T0)
    for identity, gone in (({**mine, "pid": str(dead.pid)}, True),
                           ({**mine, "pid": str(dead.pid), "pidns": "4026531836x"}, False),
                           ({**mine, "pid": str(dead.pid), "boot": "other-boot"}, False),
                           ({**mine, "pid": str(dead.pid), "host": "elsewhere"}, False),
                           ({**mine, "start": "1"}, True),  # our pid, reused
                           (mine, False)):
        release = make_release("ns", 1, Status.PENDING_UPGRADE)
        release = dataclasses.replace(release, extra={LOCK_FIELD: {
            "owner": "x", "since": "2026-01-02T03:04:05Z",
            "expires": "2026-01-02T03:19:05Z", **identity}})
        lock = store.lock_of(release)
        assert lock is not None and lock.holder_is_gone(T0) is gone, identity


@pytest.mark.cluster
def test_a_hung_holder_loses_its_lease_and_a_live_one_keeps_it(
        kubeconfig: str, namespace: str, kube: Any) -> None:
    script = f"""
import sys, time
from datetime import timedelta
sys.path.insert(0, {os.path.dirname(__file__)!r})
from test_store import make_release
from pyhelm.kube.client import connect
from pyhelm.release.status import Status
from pyhelm.storage.store import ReleaseStore, driver_for
kube = connect(kubeconfig={kubeconfig!r}, namespace={namespace!r})
store = ReleaseStore(driver_for("secret", kube, {namespace!r}), lease=timedelta(seconds=3),
                     renew_every=0.5)
store.create(make_release(version=2, status=Status.PENDING_UPGRADE, namespace={namespace!r}))
print("claimed", flush=True)
time.sleep(600)
"""
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    store = ReleaseStore(driver_for("secret", kube, namespace))
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "claimed"
        time.sleep(4)  # past the first lease: the running holder renewed it
        with pytest.raises(ReleaseInProgressError, match="operation in progress"):
            store.check_not_busy(store.last("web"))
        assert store.recover("web") is None
        os.kill(worker.pid, signal.SIGSTOP)  # alive but hung: its lease runs out
        time.sleep(4)
        message = store.recover("web")
        assert message is not None and "did not finish" in message
    finally:
        worker.kill()
        worker.wait()
        if worker.stdout:
            worker.stdout.close()
    assert store.last("web").info.status is Status.FAILED


# ---------------------------------------------------------------- size cap
def test_a_record_over_the_cap_is_refused_before_anything_is_written() -> None:
    store = ReleaseStore(MemoryDriver("cap"))
    huge = make_release(namespace="cap", payload=os.urandom(MAX_RECORD_BYTES))
    with pytest.raises(ReleaseError, match=r"record would be 4\.\d MiB .* over the 3 MiB"):
        store.create(huge)
    assert store.history("web") == []
