"""uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection.

asyncio turns Nagle off only for sockets whose ``proto`` is ``IPPROTO_TCP``; the
listening sockets uvicorn binds for ``--workers`` (and ours) are made with ``proto`` 0, so
their connections kept it on. A response written in two parts (headers, then body) then
waited for the client's delayed ACK: about 40 ms per request on a kept-alive connection,
which capped a client at 25 requests a second.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
