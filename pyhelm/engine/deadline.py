"""A render's wall-clock limit that holds in loops that call nothing.

The sandbox checks the clock on every call, but ``{% for %}`` over a list, nested, calls
nothing and can run for hours. A timer thread therefore raises ``RenderTimeout`` inside
the rendering thread itself (CPython's PyThreadState_SetAsyncExc), which Python delivers
at the next bytecode. It is a BaseException so that no ``except Exception`` of a
template function swallows it; ``render`` turns it into a RenderError.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RenderTimeout(BaseException):
    """The render's time is up."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in this thread once ``seconds`` have passed inside the block;
    never after the block is left."""
    target = threading.get_ident()
    guard = threading.Lock()
    active = [True]

    def expire() -> None:
        with guard:
            if active[0]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target),
                                                           ctypes.py_object(RenderTimeout))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:  # an exception set before this is raised here, inside the block
            active[0] = False
        timer.cancel()
