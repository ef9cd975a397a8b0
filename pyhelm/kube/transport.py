"""HTTP/1.1 to one API server on the standard library: TLS, auth headers, a pool.

Importing this costs a few milliseconds (``http.client`` and ``ssl``), against 150-250 ms
for the official ``kubernetes`` package whose transport pyhelm used before; every cluster
command pays that at start. Connections are kept alive and reused: a request takes an idle
connection (or opens one), and gives it back once its answer is read, so threads applying
a group of objects at once each have their own. A request that fails before any answer
on a kept-alive connection the server had closed is retried on a new connection; a GET
whose fresh connection was reset or closed before the answer (a server restarting or
shedding load) is retried after a pause, as client-go retries reads. A request that timed
out waiting for its answer is not retried (the server may have acted). A kept-alive
connection found closed empties the pool of idle ones: after a pause longer than the
server's idle timeout, every pooled connection is closed, and the retries must not be
spent on them.
"""

from __future__ import annotations

import copy
import http.client
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pyhelm.tls import TlsSettings, tls_context

RETRIES = 3
GET_RETRY_PAUSES = (0.2, 0.5, 1.0)  # before each new try of a GET reset on a fresh connection
MAX_IDLE = 32

Timeout = tuple[float, float]  # (connect, read) seconds


class TransportError(OSError):
    """No answer from the server; ``timed_out`` when it accepted and never answered."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class Answer:
    """An API server's answer: its status and body."""

    status: int
    body: bytes


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection that may verify a name other than the host it dials."""

    def __init__(self, host: str, port: int | None, *, timeout: float,
                 context: ssl.SSLContext, server_name: str | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name or host
        self._tls = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_name)


class Transport:
    """Requests to one server; thread-safe."""

    def __init__(self, server: str, *, tls: TlsSettings, headers: Sequence[tuple[str, str]],
                 timeout: Timeout) -> None:
        parts = urlsplit(server.rstrip("/"))
        self.server = server.rstrip("/")
        self._secure = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port
        self._prefix = parts.path  # a server URL may carry a path (behind a proxy)
        self._context = tls_context(tls) if self._secure else None
        self._server_name = tls.server_name
        self._headers = list(headers)  # may repeat a name (Impersonate-Group)
        self.timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        # a client dropped without close() still closes its idle connections
        weakref.finalize(self, _close_all, self._idle)

    def with_headers(self, headers: Sequence[tuple[str, str]]) -> Transport:
        """A transport to the same server with the same TLS context and credentials,
        whose ``headers`` replace any of the same names (its own connection pool)."""
        other = copy.copy(self)
        names = {name.lower() for name, _ in headers}
        other._headers = [h for h in self._headers if h[0].lower() not in names] + list(headers)
        other._idle = []
        other._lock = threading.Lock()
        weakref.finalize(other, _close_all, other._idle)
        return other

    def close(self) -> None:
        """Close the idle connections; the transport stays usable. The list is emptied
        in place: the finalizer holds this same list."""
        with self._lock:
            idle = list(self._idle)
            self._idle.clear()
        _close_all(idle)

    def _open(self, timeout: Timeout) -> http.client.HTTPConnection:
        connect, read = timeout
        connection: http.client.HTTPConnection
        if self._context is not None:
            connection = _Connection(self._host, self._port, timeout=connect,
                                     context=self._context, server_name=self._server_name)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=connect)
        connection.connect()
        assert connection.sock is not None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sock.settimeout(read)
        return connection

    def _take(self, timeout: Timeout) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                connection = self._idle.pop()
                assert connection.sock is not None
                connection.sock.settimeout(timeout[1])
                return connection, True
        return self._open(timeout), False

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
                return
        connection.close()

    def url(self, path: str, query: Sequence[tuple[str, str]] = ()) -> str:
        return self._prefix + path + (f"?{urlencode(list(query))}" if query else "")

    def _send(self, method: str, url: str, body: bytes | None,
              headers: Mapping[str, str], timeout: Timeout
              ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        last: BaseException | None = None
        for attempt in range(RETRIES + 1):
            connection: http.client.HTTPConnection | None = None
            reused = False
            try:
                connection, reused = self._take(timeout)
                connection.putrequest(method, url, skip_accept_encoding=True)
                for key, value in [*headers.items(), *self._headers]:
                    connection.putheader(key, value)
                if body is not None:
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                return connection, connection.getresponse()
            except TimeoutError as exc:
                if connection is not None:
                    connection.close()
                raise TransportError(str(exc) or "timed out", timed_out=True) from exc
            except (ConnectionError, http.client.HTTPException, ssl.SSLEOFError) as exc:
                if connection is not None:
                    connection.close()
                # Sent again only when the server cannot have acted on it (a kept-alive
                # connection the server had closed), or when acting on it changes nothing
                # (a read cut off by a restart).
                if connection is not None and not reused:
                    if method != "GET" or isinstance(exc, ConnectionRefusedError) or \
                            attempt >= len(GET_RETRY_PAUSES):
                        raise TransportError(_reason(exc)) from exc
                    time.sleep(GET_RETRY_PAUSES[attempt])
                elif reused:
                    # the server closed this idle connection, and so (idle as long or
                    # longer) most likely the others in the pool: the next try opens a new
                    # one rather than spending the tries on a pool of closed ones
                    self.close()
                last = exc
            except OSError as exc:
                if connection is not None:
                    connection.close()
                raise TransportError(_reason(exc)) from exc
        raise TransportError(_reason(last)) from last

    def request(self, method: str, path: str, *, query: Sequence[tuple[str, str]] = (),
                body: bytes | None = None, headers: Mapping[str, str],
                timeout: Timeout | None = None) -> Answer:
        timeout = timeout or self.timeout
        connection, response = self._send(method, self.url(path, query), body, headers,
                                          timeout)
        try:
            data = response.read()
        except TimeoutError as exc:
            connection.close()
            raise TransportError(str(exc) or "timed out", timed_out=True) from exc
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise TransportError(_reason(exc)) from exc
        if response.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return Answer(response.status, data)

    def stream_lines(self, method: str, path: str, *, query: Sequence[tuple[str, str]] = (),
                     headers: Mapping[str, str], timeout: Timeout
                     ) -> tuple[int, Iterator[bytes]]:
        """The status and the body's lines as they arrive (a watch); the connection is
        closed when the iterator ends or is dropped."""
        connection, response = self._send(method, self.url(path, query), None, headers,
                                          timeout)

        def lines() -> Iterator[bytes]:
            try:
                while True:
                    try:
                        line = response.readline()
                    except (OSError, http.client.HTTPException) as exc:
                        raise TransportError(_reason(exc),
                                             timed_out=isinstance(exc, TimeoutError)) from exc
                    if not line:
                        return
                    yield line
            finally:
                connection.close()

        return response.status, lines()


def _close_all(connections: list[http.client.HTTPConnection]) -> None:
    for connection in connections:
        connection.close()


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
