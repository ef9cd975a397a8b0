"""The ``KubeClient`` over plain REST: JSON dicts in and out, no model classes.

``pyhelm.kube.kubeconfig`` resolves the kubeconfig (kubectl's merge rules, tokens, exec
plugins, in-cluster accounts, the ``--kube-*`` overrides) and ``pyhelm.kube.transport``
carries the requests (pooled keep-alive connections on the standard library), so a
cluster command starts without importing the official ``kubernetes`` package. HTTP
errors become ``pyhelm.errors.Kube*`` with the server's message and the object named.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from pyhelm.errors import (
    KubeConflictError,
    KubeError,
    KubeForbiddenError,
    KubeInvalidError,
    KubeNotFoundError,
    KubeUnreachableError,
    StatusCause,
    StatusDetails,
)
from pyhelm.kube.discovery import Discovery
from pyhelm.kube.kubeconfig import Connection, KubeOverrides, resolve
from pyhelm.kube.protocol import KubeObject, ResourceInfo, WatchEvent
from pyhelm.kube.transport import Transport, TransportError
from pyhelm.tls import TlsSettings

# Every request but a watch (which has its own window) gives up on a server that accepts
# the connection and never answers: (connect, read) seconds. A read is not retried (a
# server that hung once will hang again); PYHELM_REQUEST_TIMEOUT overrides the read one.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


def request_timeout() -> tuple[float, float]:
    raw = os.environ.get("PYHELM_REQUEST_TIMEOUT", "")
    try:
        read = float(raw) if raw else READ_TIMEOUT
    except ValueError:
        read = READ_TIMEOUT
    read = read if read > 0 else READ_TIMEOUT
    return min(CONNECT_TIMEOUT, read), read


# Requests answered, by (code, method), as client-go's rest_client_requests_total counts
# them ("<error>": no answer); the controller serves them on /metrics.
REQUESTS: dict[tuple[str, str], int] = {}
_REQUESTS_LOCK = threading.Lock()


def count_request(code: str, method: str) -> None:
    with _REQUESTS_LOCK:
        REQUESTS[(code, method)] = REQUESTS.get((code, method), 0) + 1


def requests_by_code() -> dict[tuple[str, str], int]:
    with _REQUESTS_LOCK:
        return dict(REQUESTS)


_ERRORS: dict[int, type[KubeError]] = {
    404: KubeNotFoundError, 409: KubeConflictError, 403: KubeForbiddenError,
    401: KubeForbiddenError, 422: KubeInvalidError, 400: KubeInvalidError,
}


def connect(*, kubeconfig: str | None = None, context: str | None = None,
            namespace: str | None = None, overrides: KubeOverrides | None = None,
            environ: Mapping[str, str] | None = None, qps: float = 0.0, burst: int = 100
            ) -> RestKubeClient:
    """A client for the cluster the kubeconfig (or the in-cluster account) names.

    ``overrides`` carries every setting (``pyhelm.settings`` builds it); the keyword
    shortcuts are for library callers. Without ``overrides`` the process environment
    supplies ``KUBECONFIG`` and the in-cluster variables."""
    env = os.environ if environ is None else environ
    if overrides is None:
        overrides = KubeOverrides(kubeconfig=kubeconfig, context=context, namespace=namespace,
                                  kubeconfig_env=env.get("KUBECONFIG"),
                                  service_host=env.get("KUBERNETES_SERVICE_HOST"),
                                  service_port=env.get("KUBERNETES_SERVICE_PORT"))
    return client_for(resolve(overrides, env), qps=qps, burst=burst)


def client_for(connection: Connection, *, qps: float = 0.0, burst: int = 100
               ) -> RestKubeClient:
    """A REST client for a resolved connection."""
    cert_file = connection.cert_file or _temp_file(connection.cert_data)
    key_file = connection.key_file or _temp_file(connection.key_data)
    try:
        transport = Transport(
            connection.server,
            tls=TlsSettings(ca_file=connection.ca_file, ca_data=connection.ca_data,
                            cert_file=cert_file, key_file=key_file,
                            insecure=connection.insecure,
                            server_name=connection.tls_server_name),
            headers=[*_auth_headers(connection), ("User-Agent", user_agent())],
            timeout=request_timeout())
    except (OSError, ValueError) as exc:  # unreadable or mismatched certificates
        raise KubeUnreachableError(f"TLS settings for {connection.server}: "
                                   f"{getattr(exc, 'reason', None) or exc}") from exc
    finally:  # loaded into the TLS context: the files are no longer needed
        for made, given in ((cert_file, connection.cert_file),
                            (key_file, connection.key_file)):
            if made and made != given:
                _remove(made)
    return RestKubeClient(transport, connection.namespace,
                          throttle=Throttle(qps, burst) if qps > 0 else None)


_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def user_agent() -> str:
    """``pyhelm/<version> (<os>/<arch>)``, as client-go names its programs (``kubectl/v1.34
    (linux/amd64)``): the API server's logs and audit events tell pyhelm's requests apart."""
    from pyhelm._version import __version__

    machine = os.uname().machine if hasattr(os, "uname") else ""
    system = {"win32": "windows"}.get(sys.platform, sys.platform)
    return f"pyhelm/{__version__} ({system}/{_GO_ARCH.get(machine, machine or 'unknown')})"


def _auth_headers(connection: Connection) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if connection.token:
        headers.append(("Authorization", f"Bearer {connection.token}"))
    elif connection.username:
        basic = base64.b64encode(f"{connection.username}:{connection.password or ''}".encode())
        headers.append(("Authorization", f"Basic {basic.decode()}"))
    if connection.as_user:
        headers.append(("Impersonate-User", connection.as_user))
    headers += [("Impersonate-Group", group) for group in connection.as_groups]
    return headers


def _temp_file(data: bytes | None) -> str | None:
    """PEM data from the kubeconfig as a private file, for ``load_cert_chain``."""
    if not data:
        return None
    import tempfile

    handle, path = tempfile.mkstemp(prefix="pyhelm-kube-", suffix=".pem")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return path


class Throttle:
    """client-go's client-side rate limit (--qps, --burst-limit): a token bucket."""

    def __init__(self, qps: float, burst: int, clock: Any = None, sleep: Any = None) -> None:
        import time

        self.qps, self.burst = qps, max(burst, 1)
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._tokens = float(self.burst)
        self._last = self._clock()

    def wait(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now
        if self._tokens < 1:
            self._sleep((1 - self._tokens) / self.qps)
            self._last = self._clock()
            self._tokens = 1.0
        self._tokens -= 1


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class RestKubeClient:
    """Implements ``pyhelm.kube.protocol.KubeClient``."""

    def __init__(self, transport: Transport, namespace: str,
                 throttle: Throttle | None = None) -> None:
        self._throttle = throttle
        self.transport = transport
        self._namespace = namespace
        self.discovery = Discovery(self._request_json)

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def server(self) -> str:
        return self.transport.server

    def close(self) -> None:
        self.transport.close()

    def impersonating(self, user: str) -> RestKubeClient:
        """A client with these credentials acting as ``user`` (``Impersonate-User``, as
        client-go's impersonation config sends it; the caller needs RBAC to impersonate)."""
        return RestKubeClient(
            self.transport.with_headers([("Impersonate-User", user)]), self._namespace,
            throttle=self._throttle)

    # ---------------------------------------------------------------- transport
    def _unreachable(self, exc: TransportError, method: str, path: str,
                     timeout: tuple[float, float]) -> KubeUnreachableError:
        if exc.timed_out:
            connect, read = timeout
            return KubeUnreachableError(
                f"the API server at {self.server} did not answer {method} {path} "
                f"within {read:g} s (connect timeout {connect:g} s; "
                "PYHELM_REQUEST_TIMEOUT sets it)")
        return KubeUnreachableError(f"cannot reach the API server at {self.server}: {exc}")

    def _request(self, method: str, path: str, what: str, *, body: Any = None,
                 query: list[tuple[str, str]] | None = None,
                 content_type: str = "application/json",
                 accept: str = "application/json") -> bytes:
        """The answer's body; an error answer raises (``what`` names the object)."""
        if self._throttle is not None:
            self._throttle.wait()
        headers = {"Accept": accept}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body, separators=(",", ":")).encode()
        timeout = self.transport.timeout
        try:
            answer = self.transport.request(method, path, query=query or (), body=data,
                                            headers=headers)
        except TransportError as exc:
            count_request("<error>", method)
            raise self._unreachable(exc, method, path, timeout) from exc
        count_request(str(answer.status), method)
        if answer.status >= 400:
            raise _error(answer.status, answer.body.decode(errors="replace"), what)
        return answer.body

    def _request_json(self, method: str, path: str, what: str = "", **kwargs: Any) -> Any:
        text = self._request(method, path, what or path, **kwargs).decode()
        return json.loads(text) if text else {}

    def pod_log(self, name: str, namespace: str, container: str | None = None) -> str:
        """A pod's logs (of one container, or its only one) as text (``GET
        .../pods/NAME/log``); errors carry the server's message alone, as Helm shows it."""
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/log"
        query = [("container", container)] if container else None
        return self._request("GET", path, "", query=query, accept="*/*").decode(
            "utf-8", errors="replace")

    # ---------------------------------------------------------------- discovery
    def server_version(self) -> tuple[int, int, str]:
        info = self._request_json("GET", "/version")
        minor = "".join(ch for ch in info.get("minor", "0") if ch.isdigit()) or "0"
        return int(info.get("major", "0") or 0), int(minor), info.get("gitVersion", "")

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        return self.discovery.resource_for(api_version, kind)

    def api_versions(self) -> list[str]:
        return self.discovery.api_versions()

    def _path(self, api_version: str, kind: str, namespace: str | None, name: str | None = None
              ) -> tuple[str, ResourceInfo]:
        info = self.resource_for(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if info.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        path = f"{base}/{info.plural}"
        if name:
            path += "/" + quote(name, safe="")
        return path, info

    def _object_path(self, obj: KubeObject) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        info = self.resource_for(obj["apiVersion"], obj["kind"])
        namespace = (meta.get("namespace") or self._namespace) if info.namespaced else None
        path, _ = self._path(obj["apiVersion"], obj["kind"], namespace, meta.get("name"))
        ref = f"{obj['kind']}/{namespace}/{meta.get('name')}" if namespace else \
            f"{obj['kind']}/{meta.get('name')}"
        return path, ref

    # ---------------------------------------------------------------- verbs
    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> KubeObject:
        path, _ = self._path(api_version, kind, namespace or self._namespace, name)
        result: KubeObject = self._request_json("GET", path, f"{kind}/{name}")
        return result

    def get_table(self, api_version: str, kind: str, name: str | None,
                  namespace: str | None = None, label_selector: str | None = None
                  ) -> KubeObject:
        """The object (or, without a name, the objects the selector picks) as the server
        prints it for kubectl: a meta.k8s.io/v1 Table."""
        path, _ = self._path(api_version, kind, namespace or self._namespace, name)
        accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        query = [("labelSelector", label_selector)] if label_selector else None
        result: KubeObject = self._request_json("GET", path, f"{kind}/{name or ''}",
                                                accept=accept, query=query)
        return result

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[KubeObject]:
        return self.list_with_version(api_version, kind, namespace, label_selector)[0]

    def list_with_version(self, api_version: str, kind: str, namespace: str | None = None,
                          label_selector: str | None = None
                          ) -> tuple[builtins.list[KubeObject], str]:
        """Every object (following ``continue`` tokens) and the list's resourceVersion."""
        path, _ = self._path(api_version, kind, namespace)
        items: builtins.list[KubeObject] = []
        token = ""
        while True:
            query = [("limit", "500")]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            page = self._request_json("GET", path, f"{kind} list", query=query)
            for item in page.get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            metadata = page.get("metadata") or {}
            token = metadata.get("continue") or ""
            if not token:
                return items, str(metadata.get("resourceVersion") or "")

    def list_metadata(self, api_version: str, kind: str, namespace: str | None = None,
                      label_selector: str | None = None) -> builtins.list[KubeObject]:
        """Only the metadata of each object (no data, no spec): cheap to list in bulk."""
        path, _ = self._path(api_version, kind, namespace)
        query = [("labelSelector", label_selector)] if label_selector else []
        page = self._request_json(
            "GET", path, f"{kind} list", query=query,
            accept="application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                   "application/json")
        return list(page.get("items") or [])

    def create(self, obj: KubeObject) -> KubeObject:
        path, ref = self._object_path(obj)
        collection = path.rsplit("/", 1)[0]
        result: KubeObject = self._request_json("POST", collection, ref, body=obj)
        return result

    def replace(self, obj: KubeObject) -> KubeObject:
        path, ref = self._object_path(obj)
        result: KubeObject = self._request_json("PUT", path, ref, body=obj)
        return result

    def apply(self, obj: KubeObject, *, field_manager: str = "pyhelm", force: bool = False,
              dry_run: bool = False) -> KubeObject:
        path, ref = self._object_path(obj)
        query = [("fieldManager", field_manager)]
        if force:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        result: KubeObject = self._request_json(
            "PATCH", path, ref, body=obj, query=query,
            content_type="application/apply-patch+yaml")
        return result

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str,
                     status: Mapping[str, Any]) -> KubeObject:
        """Merge-patch ``status`` into the object's status subresource (lists, such as
        conditions, are replaced whole)."""
        path, _ = self._path(api_version, kind, namespace, name)
        result: KubeObject = self._request_json(
            "PATCH", path + "/status", f"{kind}/{namespace}/{name}",
            body={"status": dict(status)}, content_type="application/merge-patch+json")
        return result

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               *, propagation: str = "Background", resource_version: str | None = None
               ) -> bool:
        path, _ = self._path(api_version, kind, namespace or self._namespace, name)
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions",
                                "propagationPolicy": propagation}
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        try:
            self._request_json("DELETE", path, f"{kind}/{name}", body=body)
        except KubeNotFoundError:
            return False
        return True

    def watch(self, api_version: str, kind: str, namespace: str | None = None,
              field_selector: str | None = None, label_selector: str | None = None,
              resource_version: str | None = None, timeout_seconds: int | None = None
              ) -> Iterator[WatchEvent]:
        path, _ = self._path(api_version, kind, namespace)
        query = [("watch", "1"), ("allowWatchBookmarks", "false")]
        for key, value in (("fieldSelector", field_selector),
                           ("labelSelector", label_selector),
                           ("resourceVersion", resource_version),
                           ("timeoutSeconds", str(timeout_seconds) if timeout_seconds else None)):
            if value:
                query.append((key, value))
        if self._throttle is not None:
            self._throttle.wait()
        window = (self.transport.timeout[0], float((timeout_seconds or 300) + 5))
        try:
            status, lines = self.transport.stream_lines(
                "GET", path, query=query, headers={"Accept": "application/json"},
                timeout=window)
        except TransportError as exc:
            count_request("<error>", "GET")
            raise self._unreachable(exc, "GET", path, window) from exc
        count_request(str(status), "GET")
        try:
            if status >= 400:
                raise _error(status, b"".join(lines).decode(), f"watch {kind}")
            for line in lines:
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status_body = event.get("object") or {}
                    raise _error(int(status_body.get("code", 500)), json.dumps(status_body),
                                 f"watch {kind}")
                yield WatchEvent(event["type"], event["object"])
        except TransportError as exc:
            raise KubeUnreachableError(f"watch {kind}: the stream broke: {exc}") from exc
        finally:
            lines.close()  # type: ignore[attr-defined]


def _error(status: int, text: str, what: str) -> KubeError:
    """The error for an API server's answer: its ``Status`` body's message, reason and
    details when it sent one, the HTTP status always."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    message = str(body.get("message") or text.strip() or f"HTTP {status}")
    reason = str(body.get("reason") or "")
    details = _status_details(body.get("details"))
    cls = _ERRORS.get(status, KubeError)
    if status == 409 and "FieldManagerConflict" in (c.reason for c in details.causes):
        message += " (use --force-conflicts to take these fields over)"
    return cls(f"{what}: {message}" if what else message, status=status, reason=reason,
               details=details)


def _status_details(raw: object) -> StatusDetails:
    if not isinstance(raw, dict):
        return StatusDetails()
    causes = tuple(StatusCause(reason=str(c.get("reason") or ""),
                               message=str(c.get("message") or ""),
                               field=str(c.get("field") or ""))
                   for c in raw.get("causes") or [] if isinstance(c, dict))
    return StatusDetails(name=str(raw.get("name") or ""), group=str(raw.get("group") or ""),
                         kind=str(raw.get("kind") or ""), causes=causes)
