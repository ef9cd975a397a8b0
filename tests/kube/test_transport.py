"""The transport's connection pool on a loopback HTTP server: nothing it opened is
left open, whether the client is closed, reused after closing, or dropped."""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pyhelm.kube.transport import Transport
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
