"""The transport's connection pool on a loopback HTTP server: nothing it opened is
left open, whether the client is closed, reused after closing, or dropped."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pyhelm.kube.transport import RETRIES, Transport
from pyhelm.tls import TlsSettings


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _unclosed_after_dropping(transport: Transport) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del transport
        gc.collect()
    return [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_dropped_transport_closes_its_kept_alive_connections(server: str) -> None:
    transport = Transport(server, tls=TlsSettings(), headers=[], timeout=(5, 5))
    assert transport.request("GET", "/", headers={}).status == 200
    assert _unclosed_after_dropping(transport) == []


def test_a_transport_used_again_after_close_still_closes_what_it_opens(server: str) -> None:
    transport = Transport(server, tls=TlsSettings(), headers=[], timeout=(5, 5))
    transport.request("GET", "/", headers={})
    transport.close()
    assert transport.request("GET", "/", headers={}).body == b"{}"
    assert _unclosed_after_dropping(transport) == []


class _ResetFirst:
    """A loopback server that resets its first ``resets`` connections as soon as the
    request arrives, then answers ``{}``: an API server restarting."""

    def __init__(self, resets: int) -> None:
        import socket
        import struct

        self.resets, self.requests = resets, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._linger = struct.pack("ii", 1, 0)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import socket

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536).split(b" ", 1)[0].decode()
                self.requests.append(request)
                if self.resets:
                    self.resets -= 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, self._linger)
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close"
                             b"\r\n\r\n{}")


def _transport(url: str) -> Transport:
    return Transport(url, tls=TlsSettings(), headers=[], timeout=(5.0, 5.0))


def test_a_get_reset_by_a_restarting_server_is_tried_again() -> None:
    server = _ResetFirst(resets=2)
    answer = _transport(server.url).request("GET", "/api", headers={})
    assert (answer.status, server.requests) == (200, ["GET", "GET", "GET"])
    server.listener.close()


def test_a_write_reset_on_a_fresh_connection_is_not_sent_again() -> None:
    from pyhelm.kube.transport import TransportError

    server = _ResetFirst(resets=1)
    with pytest.raises(TransportError):
        _transport(server.url).request("POST", "/api", body=b"{}", headers={})
    assert server.requests == ["POST"]
    server.listener.close()


def test_a_pool_of_connections_the_server_closed_costs_one_try(server: str) -> None:
    """After a pause longer than the server's idle timeout every pooled connection is
    closed: one failure empties the pool, the request goes out on a new connection, also
    when more connections sit in the pool than there are tries."""
    import http.client

    transport = Transport(server, tls=TlsSettings(), headers=[], timeout=(5, 5))
    stale = []
    for _ in range(RETRIES + 5):
        connection = http.client.HTTPConnection("127.0.0.1", 1)
        connection.sock = _ClosedSocket()  # type: ignore[assignment]
        stale.append(connection)
    transport._idle.extend(stale)
    assert transport.request("PATCH", "/", body=b"{}", headers={}).status == 501
    assert all(c not in transport._idle for c in stale)
    transport.close()


class _ClosedSocket:
    """A kept-alive socket whose server end is gone: sending works, no answer comes."""

    def settimeout(self, value: float) -> None:
        return None

    def sendall(self, data: bytes) -> None:
        return None

    def makefile(self, *args: object, **kwargs: object) -> object:
        import io

        return io.BytesIO(b"")

    def close(self) -> None:
        return None


class _Echo(_KeepAlive):
    """Answers as _KeepAlive does, noting each request's User-Agent."""

    seen: list[str] = []

    def do_GET(self) -> None:
        _Echo.seen.append(self.headers.get("User-Agent", ""))
        super().do_GET()


def test_requests_name_pyhelm_as_their_user_agent() -> None:
    """As client-go names kubectl: the API server's logs and audit tell pyhelm apart."""
    import os

    from pyhelm import __version__
    from pyhelm.kube.client import client_for, user_agent
    from pyhelm.kube.kubeconfig import Connection

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        kube = client_for(Connection(server=f"http://127.0.0.1:{httpd.server_address[1]}",
                                     namespace="default"))
        kube._request_json("GET", "/x")
        kube.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                         os.uname().machine)
    assert _Echo.seen == [f"pyhelm/{__version__} (linux/{machine})"] == [user_agent()]
