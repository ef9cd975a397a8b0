"""``unlock``: the operator's escape from a lock whose holder is known to be dead.

A pending revision is normally recovered by the next operation once its holder is gone
(same machine, process gone) or its lease ran out. When the holder ran elsewhere and
the operator knows it is dead, ``unlock`` marks that revision failed at once, writing who
forced it into the revision's description (so ``history`` keeps the record).
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass

from pyhelm.action.configuration import Configuration
from pyhelm.action.lookup import history


@dataclass(frozen=True, kw_only=True)
class UnlockOptions:
    name: str
    namespace: str | None = None


def run(cfg: Configuration, options: UnlockOptions) -> str:
    """Fail the release's pending revision; the message recorded (and to be logged)."""
    store = cfg.store(options.namespace or cfg.namespace)
    history(store, options.name)  # Helm's "not found" when there is no such release
    return str(store.force_unlock(options.name, by=_operator()))


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
