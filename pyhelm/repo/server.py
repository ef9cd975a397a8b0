"""``pyhelm repo serve``: a chart repository as an ASGI application (Starlette + uvicorn).

Serves ``index.yaml`` (ETag / If-None-Match, gzip when accepted), packages and their
``.prov`` files from a storage backend (``pyhelm.repo.storage``: a directory or an S3
bucket), and ChartMuseum's API: ``GET|HEAD /api/charts[/NAME[/VERSION]]``,
``POST /api/charts`` (the .tgz as the body, or multipart fields ``chart`` and ``prov``),
``POST /api/prov``, ``DELETE /api/charts/NAME/VERSION``. Writes need a credential (basic
with a non-empty password, or bearer), reads optionally too. Uploads are size-limited,
time-limited and loaded as charts before they are stored; an existing version is refused
(409) unless overwriting is allowed. ``/health`` and ``/metrics`` (Prometheus) are always
open. Several processes (``--workers``) or replicas over one storage serve one consistent
index (``pyhelm.repo.hosted``). Binds 127.0.0.1 unless told otherwise.

Imported only by ``repo serve`` and tests: it needs the ``server`` extra.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hmac
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhelm.errors import RepoError, UploadError, VersionExists
from pyhelm.repo.hosted import (
    INDEX_KEY,
    META_PREFIX,
    HostedRepository,
    package_key,
)
from pyhelm.repo.storage import InvalidKey, ObjectNotFound, StorageError, open_storage

try:
    import anyio
    import prometheus_client as prom
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    from uvicorn.supervisors import Multiprocess
except ImportError as exc:  # pragma: no cover - depends on the install
    raise RepoError("pyhelm repo serve needs the server extra: "
                    "pip install 'pyhelm-k8s[server]'") from exc

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_HEAD_BYTES = 64 * 1024
CONTENT_TYPES = {".yaml": "application/x-yaml", ".tgz": "application/gzip",
                 ".prov": "application/pgp-signature"}
# metrics label methods as sent only when they are these: each value is a time series
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
log = logging.getLogger("pyhelm.repo.server")


@dataclass(frozen=True)
class ServerSettings:
    directory: Path | None = None
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
    storage: str = ""  # a storage URL; defaults to ``directory``
    workers: int = 1
    auth_reads: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    upload_timeout: float = 120.0  # seconds to receive an upload's body
    index_ttl: float = 1.0  # seconds an index may be served before the listing is checked
    access_log: bool = True
    graceful_timeout: float = 30.0
    # multi-tenancy: {tenant: {"username":…, "password":…, "token":…}}; each tenant is
    # its own repository under /TENANT/ (API under /api/TENANT/) in STORAGE/TENANT
    tenants: dict[str, dict[str, str]] | None = None
    # --require-signature: uploads must carry a .prov that verifies against this keyring
    verify_keyring: str = ""

    def storage_url(self) -> str:
        if self.storage:
            return self.storage
        if self.directory is None:
            raise RepoError("repo serve needs a DIRECTORY or --storage URL")
        return str(self.directory)

    def secrets(self) -> set[str]:
        """Every password and token, of every tenant."""
        specs = self.tenants.values() if self.tenants is not None else [
            {"password": self.password or "", "token": self.token or ""}]
        return {spec.get(key) or "" for spec in specs for key in ("password", "token")} - {""}


class Metrics:
    """The server's Prometheus metrics, in a registry of its own (several apps can live
    in one process); with ``PROMETHEUS_MULTIPROC_DIR`` set, /metrics aggregates every
    worker process."""

    def __init__(self) -> None:
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.requests = prom.Counter("pyhelm_repo_requests_total", "HTTP requests",
                                     ["method", "route", "status"], registry=r)
        self.latency = prom.Histogram("pyhelm_repo_request_duration_seconds",
                                      "HTTP request latency", ["method", "route"], registry=r)
        self.uploads = prom.Counter("pyhelm_repo_uploads_total", "Chart uploads by result",
                                    ["result"], registry=r)
        self.rebuilds = prom.Counter("pyhelm_repo_index_rebuilds_total",
                                     "index.yaml rebuilds from the storage listing", registry=r)
        self.storage_errors = prom.Counter("pyhelm_repo_storage_errors_total",
                                           "Storage backend failures", registry=r)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return bytes(prom.generate_latest(registry))
        return bytes(prom.generate_latest(self.registry))


def _route_label(path: str) -> str:
    if path.startswith("/api/"):
        return "/api/prov" if path.endswith("/prov") else "/api/charts"
    if path in ("/health", "/metrics"):
        return path
    if path.endswith(("/index.yaml", "/")):
        return "/index.yaml"
    return "/package"


_SPECIAL_HEADERS = {b"etag": b"ETag", b"www-authenticate": b"WWW-Authenticate"}


def _canonical(name: bytes) -> bytes:
    """``Content-Type`` rather than Starlette's ``content-type``: header names are
    case-insensitive, but clients that keep them in plain dicts exist."""
    return _SPECIAL_HEADERS.get(name) or b"-".join(p.capitalize() for p in name.split(b"-"))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _etag_matches(header: str | None, *etags: str) -> bool:
    if not header:
        return False
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in wanted or any(e in wanted for e in etags)


_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_RESERVED = {"api", "health", "metrics", "index.yaml"}


@dataclass(frozen=True)
class Tenant:
    name: str
    repo: HostedRepository
    username: str | None
    password: str | None
    token: str | None

    def authorized(self, request: Request) -> bool:
        """Bearer with the token, or Basic with the username and its password: each
        only when configured and not empty; compared in constant time."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        given = credential.encode("latin-1")  # the header's bytes, as Starlette read them
        if scheme.lower() == "bearer" and self.token:
            return hmac.compare_digest(given, self.token.encode())
        if scheme.lower() == "basic" and self.username and self.password:
            try:
                user, _, password = base64.b64decode(given, validate=True).partition(b":")
            except binascii.Error:
                return False
            return hmac.compare_digest(user, self.username.encode()) & \
                hmac.compare_digest(password, self.password.encode())
        return False


def _tenant_storage(base: str, tenant: str) -> str:
    """``s3://b/p?endpoint=…`` → ``s3://b/p/TENANT?endpoint=…``; a path gets /TENANT."""
    url, mark, query = base.partition("?")
    return f"{url.rstrip('/')}/{tenant}{mark}{query}"


def load_tenants(path: str) -> dict[str, dict[str, str]]:
    """A tenants file: ``tenants: {NAME: {username, password | passwordEnv, token |
    tokenEnv}}`` (YAML or JSON); ``*Env`` names an environment variable."""
    from pyhelm import yamlio

    try:
        raw = yamlio.load(Path(path).read_bytes())
    except (OSError, yamlio.YamlSyntaxError) as exc:
        raise RepoError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from exc
    tenants = raw.get("tenants") if isinstance(raw, dict) else None
    if not isinstance(tenants, dict) or not tenants:
        raise RepoError(f"{path}: no tenants: mapping")
    out: dict[str, dict[str, str]] = {}
    for name, spec in tenants.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise RepoError(f"{path}: tenant {name!r} is not a mapping")
        entry = {k: str(spec[k]) for k in ("username", "password", "token") if spec.get(k)}
        for key in ("password", "token"):
            if spec.get(f"{key}Env"):
                value = os.environ.get(str(spec[f"{key}Env"]))
                if value is None:
                    raise RepoError(f"{path}: tenant {name!r}: ${spec[f'{key}Env']} is not set")
                entry[key] = value
        out[str(name)] = entry
    return out


def _tenants(settings: ServerSettings, metrics: Metrics) -> dict[str, Tenant]:
    specs = settings.tenants if settings.tenants is not None else {
        "": {k: v for k, v in (("username", settings.username),
                               ("password", settings.password),
                               ("token", settings.token)) if v is not None}}
    base = settings.storage_url()
    tenants = {}
    for name, spec in specs.items():
        if settings.tenants is not None and (not _TENANT.match(name) or name in _RESERVED):
            raise RepoError(f"invalid tenant name {name!r}: lowercase letters, digits, '-'")
        where = f" (tenant {name!r})" if name else ""
        if settings.enable_upload and not (spec.get("token") or spec.get("username")):
            raise RepoError(f"uploads need a credential: --username/--password or --token{where}")
        if spec.get("username") and not spec.get("password") and not spec.get("token"):
            raise RepoError(f"--username {spec['username']} has no password: set "
                            f"$PYHELM_REPO_PASSWORD (or a token){where}")
        username = spec.get("username") or None
        if username and not spec.get("password"):
            log.warning("--username %s has no password: basic auth is off, the token is the "
                        "only credential%s", username, where)
            username = None
        url = settings.url.rstrip("/") + (f"/{name}" if name and settings.url else "")
        repo = HostedRepository(open_storage(_tenant_storage(base, name) if name else base),
                                url=url, allow_overwrite=settings.allow_overwrite,
                                index_ttl=settings.index_ttl, on_rebuild=metrics.rebuilds.inc,
                                verify_keyring=Path(settings.verify_keyring)
                                if settings.verify_keyring else None)
        repo.index()  # fail at start, not on the first request, when storage is unusable
        tenants[name] = Tenant(name, repo, username, spec.get("password") or None,
                               spec.get("token") or None)
    return tenants


def create_app(settings: ServerSettings) -> Starlette:
    """The ASGI application for ``settings`` (its storage is opened and indexed now)."""
    metrics = Metrics()
    tenants = _tenants(settings, metrics)

    def unauthorized() -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="pyhelm"'})

    Handler = Callable[[Request, HostedRepository], Awaitable[Response]]

    def guard(write: bool) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
        def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
            async def endpoint(request: Request) -> Response:
                tenant = tenants.get(request.path_params.get("tenant", ""))
                if tenant is None:
                    return _error(404, "not found")
                if write and not settings.enable_upload:
                    return _error(405, "uploads are disabled")
                if (write or settings.auth_reads) and not tenant.authorized(request):
                    return unauthorized()
                try:
                    return await handler(request, tenant.repo)
                except (ObjectNotFound, InvalidKey):
                    return _error(404, "not found")
                except StorageError as exc:
                    metrics.storage_errors.inc()
                    log.error("storage error: %s", exc)
                    return _error(503, f"storage unavailable: {exc}")
            return endpoint
        return wrap

    @guard(write=False)
    async def serve_file(request: Request, repo: HostedRepository) -> Response:
        key = request.path_params.get("key") or INDEX_KEY
        if key == INDEX_KEY:
            snapshot = await run_in_threadpool(repo.index)
            gzipped = "gzip" in request.headers.get("accept-encoding", "")
            etag = snapshot.etag[:-1] + '-gzip"' if gzipped else snapshot.etag
            headers = {"ETag": etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
            if _etag_matches(request.headers.get("if-none-match"), snapshot.etag,
                             snapshot.etag[:-1] + '-gzip"'):
                return Response(status_code=304, headers=headers)
            if gzipped:
                headers["Content-Encoding"] = "gzip"
            return Response(snapshot.gzipped if gzipped else snapshot.body,
                            media_type=CONTENT_TYPES[".yaml"], headers=headers)
        suffix = Path(key).suffix
        if suffix not in (".tgz", ".prov") or key.startswith(".pyhelm/"):
            return _error(404, "not found")
        data = await run_in_threadpool(repo.get, key)
        import hashlib

        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(data, media_type=CONTENT_TYPES[suffix], headers={"ETag": etag})

    async def read_body(request: Request) -> bytes | Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_upload_bytes:
            return _error(413, f"upload larger than {settings.max_upload_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(settings.upload_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > settings.max_upload_bytes:
                        return _error(413, f"upload larger than {settings.max_upload_bytes} "
                                           "bytes")
                    chunks.append(chunk)
        except TimeoutError:
            return _error(408, f"upload not received within {settings.upload_timeout:g}s")
        except ClientDisconnect:
            return _error(400, "client disconnected")
        body = b"".join(chunks)
        request._body = body  # later reads (form parsing) see these bytes
        return body

    async def multipart(request: Request, *names: str) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        async with request.form(max_files=4, max_fields=8,
                                max_part_size=settings.max_upload_bytes) as form:
            for name in names:
                value = form.get(name)
                if value is None:
                    continue
                found[name] = value.encode() if isinstance(value, str) else \
                    await value.read()
        return found

    @guard(write=True)
    async def upload_chart(request: Request, repo: HostedRepository) -> Response:
        body = await read_body(request)
        if isinstance(body, Response):
            metrics.uploads.labels("refused").inc()
            return body
        prov = None
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            try:
                parts = await multipart(request, "chart", "prov")
            except Exception as exc:  # python-multipart's errors have no common base
                metrics.uploads.labels("invalid").inc()
                return _error(400, f"bad multipart upload: {exc}")
            if "chart" not in parts:
                metrics.uploads.labels("invalid").inc()
                return _error(400, 'multipart upload has no "chart" field')
            body, prov = parts["chart"], parts.get("prov")
        try:
            entry = await run_in_threadpool(repo.upload, body, prov)
        except VersionExists as exc:
            metrics.uploads.labels("conflict").inc()
            return _error(409, str(exc))
        except UploadError as exc:
            metrics.uploads.labels("invalid").inc()
            return _error(400, str(exc))
        metrics.uploads.labels("created").inc()
        return JSONResponse({"saved": True, "name": entry.name, "version": entry.version},
                            status_code=201)

    @guard(write=True)
    async def upload_prov(request: Request, repo: HostedRepository) -> Response:
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            try:
                parts = await multipart(request, "prov")
            except Exception as exc:  # python-multipart's errors have no common base
                return _error(400, f"bad multipart upload: {exc}")
            if "prov" not in parts:
                return _error(400, 'multipart upload has no "prov" field')
            body = parts["prov"]
        try:
            key = await run_in_threadpool(repo.upload_prov, body)
        except VersionExists as exc:
            return _error(409, str(exc))
        except UploadError as exc:
            return _error(400, str(exc))
        return JSONResponse({"saved": True, "file": key}, status_code=201)

    @guard(write=False)
    async def signatures(request: Request, repo: HostedRepository) -> Response:
        import yaml

        listing = await run_in_threadpool(repo.signatures)
        return Response(yaml.safe_dump(listing, sort_keys=False),
                        media_type=CONTENT_TYPES[".yaml"], headers={"Cache-Control": "no-cache"})

    @guard(write=False)
    async def chart_api(request: Request, repo: HostedRepository) -> Response:
        snapshot = await run_in_threadpool(repo.index)
        entries = snapshot.index.entries
        name = request.path_params.get("name")
        version = request.path_params.get("version")
        if name is None:
            return JSONResponse({n: [v.to_dict() for v in vs] for n, vs in entries.items()})
        versions = entries.get(name)
        if not versions:
            return _error(404, f"chart {name} not found")
        if version is None:
            return JSONResponse([v.to_dict() for v in versions])
        found = next((v for v in versions if v.version == version), None)
        if found is None:
            return _error(404, f"{name}-{version} not found")
        return JSONResponse(found.to_dict())

    @guard(write=True)
    async def delete_chart(request: Request, repo: HostedRepository) -> Response:
        name, version = request.path_params["name"], request.path_params["version"]
        if await run_in_threadpool(repo.delete, name, version):
            return JSONResponse({"deleted": True})
        return _error(404, f"{name}-{version} not found")

    async def health(request: Request) -> Response:
        return JSONResponse({"healthy": True})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=prom.CONTENT_TYPE_LATEST)

    # one repository: /index.yaml and /api/charts; tenants: /T/index.yaml, /api/T/charts
    api = "/api/{tenant}" if settings.tenants is not None else "/api"
    top = "/{tenant}" if settings.tenants is not None else ""
    app = Starlette(routes=[
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route(f"{api}/charts", chart_api, methods=["GET"]),
        Route(f"{api}/charts", upload_chart, methods=["POST"]),
        Route(f"{api}/charts/", upload_chart, methods=["POST"]),
        Route(f"{api}/prov", upload_prov, methods=["POST"]),
        Route(f"{api}/charts/{{name}}", chart_api, methods=["GET"]),
        Route(f"{api}/charts/{{name}}/{{version}}", chart_api, methods=["GET"]),
        Route(f"{api}/charts/{{name}}/{{version}}", delete_chart, methods=["DELETE"]),
        Route(f"{top}/provenance.yaml", signatures, methods=["GET"]),
        Route(f"{top}/", serve_file, methods=["GET"]),
        Route(f"{top}/{{key:path}}", serve_file, methods=["GET"]),
    ])
    app.state.tenants = tenants
    app.state.metrics = metrics
    return _Instrumented(app, metrics)  # type: ignore[return-value]


class _Instrumented:
    """ASGI middleware: request count and latency by method, route and status; request
    heads over MAX_HEAD_BYTES refused (h11's limit holds only for heads that arrive in
    pieces)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = _route_label(scope["path"])
        method = scope["method"] if scope["method"] in METHODS else "other"
        counted = False

        async def send_status(message: Any) -> None:
            nonlocal counted
            if message["type"] == "http.response.start":
                # counted before the client can see the response, so that a request it
                # sends next (/metrics) finds it counted
                self.metrics.requests.labels(method, route, str(message["status"])).inc()
                counted = True
                message["headers"] = [(_canonical(k), v) for k, v in message["headers"]]
            await send(message)

        app = self.app if _head_bytes(scope) <= MAX_HEAD_BYTES else \
            _error(431, f"request head larger than {MAX_HEAD_BYTES} bytes")
        try:
            await app(scope, receive, send_status)
        finally:
            if not counted:
                self.metrics.requests.labels(method, route, "500").inc()
            self.metrics.latency.labels(method, route).observe(
                time.perf_counter() - started)


def _head_bytes(scope: Any) -> int:
    return len(scope["method"]) + len(scope["raw_path"] or b"") + \
        len(scope["query_string"]) + sum(len(k) + len(v) + 4 for k, v in scope["headers"])


def _uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    from pyhelm.repo.connections import GuardedH11Protocol

    return {"http": GuardedH11Protocol, "loop": "pyhelm.repo.connections:new_event_loop",
            "ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key,
            "access_log": settings.access_log, "log_level": "info" if settings.access_log
            else "warning", "timeout_keep_alive": 5,
            "timeout_graceful_shutdown": settings.graceful_timeout,
            "h11_max_incomplete_event_size": 64 * 1024, "server_header": False,
            "lifespan": "off"}


class RepoServer:
    """One uvicorn server on a bound socket, run in the calling thread by
    ``serve_forever`` and stopped (gracefully) by ``shutdown`` from another thread."""

    def __init__(self, settings: ServerSettings) -> None:
        self.app = create_app(settings)
        self.socket = socket.socket(socket.AF_INET6 if ":" in settings.address
                                    else socket.AF_INET)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((settings.address, settings.port))
        self.server_address = self.socket.getsockname()
        config = uvicorn.Config(self.app, **_uvicorn_options(settings))
        self._server = uvicorn.Server(config)
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def shutdown(self) -> None:
        self._server.should_exit = True
        self._stopped.wait(timeout=60)

    def server_close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.close()


def make_server(settings: ServerSettings) -> RepoServer:
    return RepoServer(settings)


def serve(settings: ServerSettings) -> None:
    """Run in the foreground until SIGINT/SIGTERM (in-flight requests finish first)."""
    if settings.workers <= 1:
        RepoServer(settings).serve_forever()
        return
    create_app(settings)  # the storage is checked (and indexed) before workers start
    secrets = settings.secrets()
    for name, value in list(os.environ.items()):  # workers inherit the environment
        if value in secrets:
            del os.environ[name]
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="pyhelm-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # The settings, credentials included, reach each worker pickled with uvicorn's config
    # through the pipe multiprocessing starts it with: not in its environment, no file.
    config = uvicorn.Config(functools.partial(create_app, settings), factory=True,
                            host=settings.address, port=settings.port,
                            workers=settings.workers, **_uvicorn_options(settings))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


__all__ = ["META_PREFIX", "ServerSettings", "create_app", "make_server", "package_key",
           "serve"]
