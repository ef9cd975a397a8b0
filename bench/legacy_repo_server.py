"""``pyhelm repo serve``: an HTTP chart repository over a directory.

Serves ``index.yaml`` and packages (with ETag / If-None-Match), read-only by default.
With uploads enabled (and a credential configured) it takes charts as ChartMuseum does:
``POST /api/charts`` (the .tgz as the body, or a multipart field ``chart``) and
``DELETE /api/charts/NAME/VERSION``. Each upload is loaded as a chart before it is
accepted; an existing version is refused (409) unless overwriting is allowed. The
index is changed under a lock and replaced atomically, so concurrent readers never see
a torn file. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pyhelm.chart.loader import load_archive_bytes
from pyhelm.errors import PyhelmError, RepoError
from pyhelm.release.codec import format_time
from pyhelm.repo.index import ChartVersion, Index, build_index, load_index, write_index

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
CONTENT_TYPES = {".yaml": "application/x-yaml", ".tgz": "application/gzip",
                 ".prov": "application/pgp-signature"}


@dataclass(frozen=True)
class ServerSettings:
    directory: Path
    address: str = "127.0.0.1"
    port: int = 8879
    enable_upload: bool = False
    username: str | None = None
    password: str | None = None
    token: str | None = None
    allow_overwrite: bool = False
    url: str = ""
    tls_cert: str | None = None
    tls_key: str | None = None


class Repository:
    """The directory and its index; every change goes through ``_lock``."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.root = settings.directory.resolve()
        self._lock = threading.Lock()
        index_path = self.root / "index.yaml"
        with self._lock:
            previous = load_index(index_path.read_bytes(), str(index_path)) \
                if index_path.exists() else None
            write_index(build_index(self.root, url=settings.url, previous=previous), index_path)

    def file(self, relative: str) -> Path | None:
        path = (self.root / relative).resolve()
        if self.root not in path.parents or path.suffix not in CONTENT_TYPES:
            return None
        return path if path.is_file() else None

    def _index(self) -> Index:
        path = self.root / "index.yaml"
        return load_index(path.read_bytes(), str(path))

    def upload(self, data: bytes) -> ChartVersion:
        chart = load_archive_bytes(data, "upload")
        name, version = chart.metadata.name, chart.metadata.version
        target = self.root / f"{name}-{version}.tgz"
        with self._lock:
            if target.exists() and not self.settings.allow_overwrite:
                raise FileExistsError(f"{name}-{version} already exists")
            handle, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-", suffix=".tgz")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, target)
            index = self._index()
            link = f"{self.settings.url.rstrip('/')}/{target.name}" if self.settings.url \
                else target.name
            from pyhelm.repo.index import package_metadata

            entry = ChartVersion(package_metadata(target), [link],
                                 hashlib.sha256(data).hexdigest(),
                                 format_time(datetime.now(UTC)))
            index.add(entry)
            index.generated = entry.created
            write_index(index, self.root / "index.yaml")
            return entry

    def delete(self, name: str, version: str) -> bool:
        with self._lock:
            index = self._index()
            if not index.remove(name, version):
                return False
            (self.root / f"{name}-{version}.tgz").unlink(missing_ok=True)
            index.generated = format_time(datetime.now(UTC))
            write_index(index, self.root / "index.yaml")
            return True


def _chart_from_multipart(content_type: str, body: bytes) -> bytes:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "chart":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise RepoError('multipart upload has no "chart" field')


def make_handler(repo: Repository) -> type[BaseHTTPRequestHandler]:
    settings = repo.settings

    class Handler(BaseHTTPRequestHandler):
        server_version = "pyhelm-repo"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: a test server should not write to stderr per request

        def _send(self, status: int, body: bytes, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._send(status, json.dumps(payload).encode())

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            if settings.token and hmac.compare_digest(header, f"Bearer {settings.token}"):
                return True
            if settings.username is not None and header.startswith("Basic "):
                expected = base64.b64encode(
                    f"{settings.username}:{settings.password or ''}".encode()).decode()
                return hmac.compare_digest(header[6:], expected)
            return False

        def do_GET(self) -> None:  # http.server dispatches on these names
            path = unquote(urlparse(self.path).path).lstrip("/")
            found = repo.file(path or "index.yaml")
            if found is None:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            data = found.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(HTTPStatus.NOT_MODIFIED, b"", headers={"ETag": etag})
                return
            self._send(HTTPStatus.OK, data, CONTENT_TYPES[found.suffix], {"ETag": etag})

        do_HEAD = do_GET

        def _upload_allowed(self) -> bool:
            if not settings.enable_upload:
                self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "uploads are disabled"})
                return False
            if not self._authorized():
                self.send_response(HTTPStatus.UNAUTHORIZED)
                self.send_header("WWW-Authenticate", 'Basic realm="pyhelm"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            return True

        def do_POST(self) -> None:
            if urlparse(self.path).path.rstrip("/") != "/api/charts":
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            if not self._upload_allowed():
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_UPLOAD_BYTES:
                self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "upload too large"})
                return
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "")
            try:
                if content_type.startswith("multipart/form-data"):
                    body = _chart_from_multipart(content_type, body)
                entry = repo.upload(body)
            except FileExistsError as exc:
                self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
            except PyhelmError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"not a valid chart: {exc}"})
            else:
                self._json(HTTPStatus.CREATED, {"saved": True, "name": entry.name,
                                                "version": entry.version})

        def do_DELETE(self) -> None:
            parts = urlparse(self.path).path.strip("/").split("/")
            if len(parts) != 4 or parts[:2] != ["api", "charts"]:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            if not self._upload_allowed():
                return
            if repo.delete(parts[2], parts[3]):
                self._json(HTTPStatus.OK, {"deleted": True})
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"{parts[2]}-{parts[3]} not found"})

    return Handler


def make_server(settings: ServerSettings) -> ThreadingHTTPServer:
    if settings.enable_upload and not (settings.token or settings.username):
        raise RepoError("uploads need a credential: --username/--password or --token")
    settings.directory.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((settings.address, settings.port),
                                 make_handler(Repository(settings)))
    server.daemon_threads = True
    if settings.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server
