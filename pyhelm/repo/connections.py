"""What ``repo serve`` does with connections before a request reaches the application.

- A request head must arrive whole within ``head_timeout`` seconds of the connection
  opening or of the previous response. uvicorn's keep-alive timer stops at the first
  byte received, and nothing else bounds a head: a client sending one header line now
  and then held its connection, and a file descriptor, forever.
- While file descriptors run out, asyncio (3.11) logs "socket.accept() out of system
  resource" with a traceback up to ``backlog`` (2048) times a second, each time
  scheduling a retry, and each retry still pending at shutdown logs a ValueError with a
  traceback: a storm wrote megabytes a second. This says it once a minute, and the
  retries that find the listening socket closed nothing.
- Nagle's algorithm is off (``pyhelm.repo.tcp_nodelay``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pyhelm.repo.tcp_nodelay import NoDelayH11Protocol

ACCEPT_FAILED = "socket.accept() out of system resource"
log = logging.getLogger("pyhelm.repo.server")


class GuardedH11Protocol(NoDelayH11Protocol):
    head_timeout = 10.0
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def on_response_complete(self) -> None:
        self._await_head()  # first: uvicorn may start a pipelined request right away
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        """Close the connection unless a new request has begun within head_timeout."""
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        previous = self.cycle

        def expire() -> None:
            if self.cycle is previous and not self.transport.is_closing():
                self.transport.close()

        self._head_deadline = self.loop.call_later(self.head_timeout, expire)


class AcceptFailureLog:
    """An event loop's exception handler: accept failures at most once per
    ``interval`` seconds, with the number not logged; retries of accepting on a closed
    socket not at all; the rest as asyncio logs them."""

    interval = 60.0

    def __init__(self) -> None:
        self._last: float | None = None
        self._unlogged = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        retry = getattr(loop, "_start_serving", None)
        if retry is not None and getattr(context.get("handle"), "_callback", None) == retry:
            return
        if context.get("message") != ACCEPT_FAILED:
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if self._last is not None and now - self._last < self.interval:
            self._unlogged += 1
            return
        log.warning("%s (%s): new connections wait in the backlog; logged at most once "
                    "a minute, %d times not logged before this", ACCEPT_FAILED,
                    context.get("exception"), self._unlogged)
        self._last, self._unlogged = now, 0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's ``loop`` setting ``pyhelm.repo.connections:new_event_loop``: the loop
    uvicorn would pick, with accept failures logged by ``AcceptFailureLog``."""
    from uvicorn.loops.auto import auto_loop_factory

    loop = auto_loop_factory()()
    loop.set_exception_handler(AcceptFailureLog())
    return loop
