"""Connections of ``repo serve`` have Nagle's algorithm off, also on sockets bound with
``proto`` 0 (as uvicorn binds for --workers): with it on, every response on a kept-alive
connection waited about 40 ms for the client's delayed ACK."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from pyhelm.repo.tcp_nodelay import NoDelayH11Protocol


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def _served_socket_nodelay(protocol_class: type[H11Protocol]) -> int:
    """TCP_NODELAY of the server's side of one kept-alive connection, after two
    requests on it."""
    config = uvicorn.Config(_hello, http=protocol_class, lifespan="off", log_level="error")
    config.load()
    state = ServerState()
    made: list[H11Protocol] = []

    def factory() -> H11Protocol:
        made.append(protocol_class(config=config, server_state=state, app_state={}))
        return made[-1]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's
    listener.bind(("127.0.0.1", 0))
    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    reader, writer = await asyncio.open_connection(*listener.getsockname())
    try:
        for _ in range(2):
            writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            await writer.drain()
            assert (await reader.readuntil(b"hello")).startswith(b"HTTP/1.1 200")
        served = made[0].transport.get_extra_info("socket")
        return int(served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_connections_have_nagle_off() -> None:
    assert asyncio.run(_served_socket_nodelay(NoDelayH11Protocol)) != 0


def test_uvicorns_own_protocol_leaves_nagle_on_for_such_sockets() -> None:
    """Why the subclass exists: should uvicorn or asyncio start setting it, this fails
    and the subclass can go."""
    if asyncio.run(_served_socket_nodelay(H11Protocol)) != 0:
        pytest.fail("uvicorn now turns Nagle off itself: drop NoDelayH11Protocol")
