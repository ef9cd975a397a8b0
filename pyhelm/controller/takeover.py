"""Fencing after a failover: the pending Helm records a dead leader left.

A leader that lost its Lease stopped reconciling before a standby could take the Lease
(the renew deadline is shorter than the lease duration, and it exits), so the pending
revisions still locked by its process were abandoned. On the same host and PID namespace
pyhelm's release locks see that at once (the holder's process is gone); across hosts (a
Deployment's pods) only the lock's own lease (60 s) would tell. The new leader knows
better: the Lease it took names the previous holder's host (``<hostname>_<uuid>``), so
every pending revision locked by a ``pyhelm-controller`` on that host is failed here,
before the first reconcile, and the next install or upgrade of that release goes on at
once. Locks of other hosts, other owners, or this host (where the process check decides)
are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from pyhelm.errors import PyhelmError, ReleaseError
from pyhelm.kube.protocol import KubeClient
from pyhelm.settings import Settings
from pyhelm.storage.store import ReleaseStore, driver_for

PENDING = "owner=helm,status in (pending-install,pending-upgrade,pending-rollback)"
OWNER_PREFIX = "pyhelm-controller/"


def recover_abandoned(kube: KubeClient, previous_host: str, this_host: str,
                      namespace: str | None, by: str,
                      log: Callable[[str], None] | None = None) -> list[str]:
    """Fail the pending revisions a controller on ``previous_host`` holds (in
    ``namespace``, or every namespace); the ``namespace/name`` of each one failed."""
    say = log or (lambda _: None)
    if not previous_host or previous_host == this_host:
        return []
    driver = Settings().driver or "secret"
    kind = "ConfigMap" if driver.lower().startswith("configmap") else "Secret"
    if kind == "Secret" and driver.lower() not in ("secret", "secrets"):
        return []  # the memory driver holds nothing another process left
    recovered: list[str] = []
    for meta in (item.get("metadata") or {} for item in kube.list_metadata(
            "v1", kind, namespace, label_selector=PENDING)):
        name = str((meta.get("labels") or {}).get("name") or "")
        where = str(meta.get("namespace") or "")
        if not name or not where:
            continue
        store = ReleaseStore(driver_for(driver, kube, where))
        try:
            latest = store.last(name)
            lock = store.lock_of(latest)
            if lock is None or not lock.owner.startswith(OWNER_PREFIX):
                continue
            if dict(lock.identity).get("host") != previous_host:
                continue
            message = store.force_unlock(name, by)
        except (ReleaseError, PyhelmError) as exc:
            say(f"{where}/{name}: {exc}")
            continue
        say(f"{where}/{name}: {message}")
        recovered.append(f"{where}/{name}")
    return recovered
