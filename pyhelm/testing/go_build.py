"""Building one Go binary at most once per machine, by several processes at once."""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def build_once(target: Path, label: str, compile_to: Callable[[Path], Any],
               is_fresh: Callable[[], bool], after: Callable[[], Any] | None = None) -> Path:
    """``target`` when ``is_fresh()``; else, under a file lock (another process may be
    building it already), compile to a staging file and move it into place atomically."""
    if is_fresh():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_fresh():
            return target
        started = time.monotonic()
        print(f"pyhelm: building {label} ...", file=sys.stderr, flush=True)
        staging = target.with_name(target.name + ".new")
        compile_to(staging)
        staging.replace(target)
        if after is not None:
            after()
        print(f"pyhelm: built {label} in {time.monotonic() - started:.0f}s", file=sys.stderr,
              flush=True)
    return target
