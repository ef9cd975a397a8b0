"""A render's time and memory limits, held even where the template calls nothing.

The sandbox checks the clock on every call, but ``{% for %}`` over a list, nested, calls
nothing and can run for hours; a macro that doubles a string on every recursion grows
memory faster than any single operation's check can see. A watchdog thread therefore
looks at the clock and at the process's resident memory every ``INTERVAL`` seconds and
raises ``RenderTimeout`` or ``RenderMemoryExceeded`` inside the rendering thread itself
(CPython's PyThreadState_SetAsyncExc), which Python delivers at the next bytecode. Both
are BaseExceptions so that no ``except Exception`` of a template function swallows them;
``render`` turns them into RenderErrors.

Memory is the growth of the whole process since the render began (``/proc/self/statm``;
where there is none, only time is watched): another thread allocating at the same time
counts too, which a library user rendering in many threads at once may need to allow for
with a larger limit.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

INTERVAL = 0.05  # each look takes the GIL from the render: not much more often
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class RenderTimeout(BaseException):
    """The render's time is up."""


class RenderMemoryExceeded(BaseException):
    """The render grew the process by more than its memory limit."""


def _open_statm() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def resident_bytes(statm: int | None) -> int | None:
    """The process's resident memory now (``statm``: an open ``/proc/self/statm``), or
    None where the system does not say."""
    if statm is None:
        return None
    try:
        return int(os.pread(statm, 128, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def deadline(seconds: float, max_growth: int = 0) -> Iterator[None]:
    """Raise RenderTimeout in this thread once ``seconds`` have passed inside the block,
    or RenderMemoryExceeded once the process has grown by more than ``max_growth`` bytes
    (0: not watched); never after the block is left."""
    target = threading.get_ident()
    guard = threading.Lock()
    active = [True]
    finished = threading.Event()
    statm = _open_statm() if max_growth > 0 else None
    baseline = resident_bytes(statm)

    def interrupt(exception: type[BaseException]) -> None:
        import ctypes  # only when a limit is hit: 1.3 ms of a small chart's start-up

        with guard:
            if active[0]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target),
                                                           ctypes.py_object(exception))

    def watch() -> None:
        end = time.monotonic() + seconds
        interval = INTERVAL if baseline is not None else seconds
        while not finished.wait(max(min(interval, end - time.monotonic()), 0)):
            if time.monotonic() >= end:
                interrupt(RenderTimeout)
                return
            if baseline is not None:
                now = resident_bytes(statm)
                if now is not None and now - baseline > max_growth:
                    interrupt(RenderMemoryExceeded)
                    return

    watcher = threading.Thread(target=watch, name="render-watchdog", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with guard:  # an exception set before this is raised here, inside the block
            active[0] = False
        finished.set()
        if statm is not None:
            watcher.join()  # it may be reading statm
            os.close(statm)
