"""Misbehaving HTTP servers for attack tests. Two loopback addresses stand for two hosts:
``127.0.0.1`` is the repository or registry the user trusts, ``127.0.0.2`` another host.

A server answers each path from a table the test fills in (a ``Reply``, or a function
of the request giving one; a missing path is a 404) and records every request it gets
with its ``Authorization`` header, so a test can tell which host saw which credentials.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

NEAR = "127.0.0.1"
FAR = "127.0.0.2"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    repeat: int = 1  # the body is sent this many times over (streamed, never built)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, headers={"Location": location})


Route = Reply | Callable[[Seen], Reply]


class HostileServer:
    def __init__(self, address: str) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen = Seen(self.command, self.path, self.headers.get("Authorization"))
                server.seen.append(seen)
                route = server.routes.get(urlsplit(self.path).path, Reply(404, b"not found"))
                reply = route(seen) if callable(route) else route
                self.send_response(reply.status)
                for name, value in {"Content-Length": str(len(reply.body) * reply.repeat),
                                    **reply.headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for _ in range(reply.repeat if self.command != "HEAD" else 0):
                        self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up reading, as it should

            do_GET = do_HEAD = do_PUT = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self._server.server_address[1]}"
        self.host = self.url.removeprefix("http://")
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def authorizations(self) -> list[str]:
        """The Authorization headers this host received, in order."""
        return [s.authorization for s in self.seen if s.authorization]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
