"""Charts in OCI registries, as Helm stores them.

A chart version is a manifest (``application/vnd.oci.image.manifest.v1+json``) tagged
with the chart version (``+`` becomes ``_``), whose config blob is the chart's metadata
as JSON (``application/vnd.cncf.helm.config.v1+json``) and whose one layer is the
package (``application/vnd.cncf.helm.chart.content.v1.tar+gzip``). This module speaks
the distribution API directly: blob upload, manifest put/get, tag list, and the
registry's Basic or Bearer challenge. Loopback registries are reached over plain HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

from pyhelm.chart import semver
from pyhelm.chart.loader import parse_metadata
from pyhelm.errors import RepoError
from pyhelm.release.codec import metadata_to_dict
from pyhelm.repo import registry_auth
from pyhelm.repo.client import MAX_DOWNLOAD_BYTES, write_verified
from pyhelm.repo.http_access import open_url, same_origin
from pyhelm.repo.index import package_metadata
from pyhelm.repo.provenance import PROV_LAYER
from pyhelm.repo.safe_paths import confined
from pyhelm.settings import RepoPaths
from pyhelm.tls import TlsSettings, tls_context

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.cncf.helm.config.v1+json"
CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
TIMEOUT = 60.0
_ERROR_BYTES = 64 * 1024  # of an error's body: enough for its message


@dataclass(frozen=True)
class Reference:
    host: str
    repository: str  # path inside the registry, e.g. charts/demo

    @classmethod
    def parse(cls, ref: str) -> Reference:
        if not ref.startswith("oci://"):
            raise RepoError(f"{ref}: not an oci:// reference")
        host, _, path = ref[len("oci://"):].partition("/")
        if not host or not path:
            raise RepoError(f"{ref}: expected oci://HOST/PATH")
        return cls(host, path.strip("/"))

    def child(self, name: str) -> Reference:
        return Reference(self.host, f"{self.repository}/{name}")


def is_loopback(host: str) -> bool:
    return host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class RegistryAccess:
    """How to reach a registry beyond the stored login: Helm's --plain-http, its TLS
    flags, and --username/--password (which win over the stored login)."""

    plain_http: bool | None = None
    tls: TlsSettings | None = None
    credentials: tuple[str, str] | None = None
    # --verify: check each chart's provenance against this keyring before writing it
    verify_keyring: Path | None = None


class Registry:
    """One registry host, with its credentials and (after a challenge) a token."""

    def __init__(self, host: str, *, plain_http: bool | None = None,
                 paths: RepoPaths | None = None, tls: TlsSettings | None = None) -> None:
        self.host = host
        self._context = tls_context(tls) if tls is not None else None
        scheme = "http" if (plain_http if plain_http is not None else is_loopback(host)) \
            else "https"
        self.base = f"{scheme}://{host}"
        self.credentials = registry_auth.credentials_for(host, paths)
        self._authorization: str | None = None

    def _open(self, method: str, url: str, data: bytes | None, headers: dict[str, str]
              ) -> tuple[int, bytes, Any]:
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"User-Agent": "pyhelm", **headers})
        if self._authorization and same_origin(url, self.base):  # a Location may be elsewhere
            request.add_header("Authorization", self._authorization)
        try:
            with open_url(request, timeout=TIMEOUT, context=self._context) as response:
                body = response.read(MAX_DOWNLOAD_BYTES + 1)
                if len(body) > MAX_DOWNLOAD_BYTES:
                    raise RepoError(f"{url}: the answer is larger than {MAX_DOWNLOAD_BYTES} "
                                    "bytes")
                return response.status, body, response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(_ERROR_BYTES), exc.headers
        except (urllib.error.URLError, OSError) as exc:
            raise RepoError(f"{url}: cannot reach the registry: "
                            f"{getattr(exc, 'reason', exc)}") from exc

    def request(self, method: str, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
        url = path if path.startswith("http") else self.base + path
        status, body, response_headers = self._open(method, url, data, headers or {})
        if status == 401 and self._answer_challenge(response_headers.get("WWW-Authenticate")):
            status, body, response_headers = self._open(method, url, data, headers or {})
        if status == 401:
            raise RepoError(f"{self.host}: authentication required or refused "
                            f"(run `pyhelm registry login {self.host}`)")
        return status, body, response_headers

    def _answer_challenge(self, challenge: str | None) -> bool:
        if not challenge or (self.credentials is None and not challenge.startswith("Bearer")):
            return False
        scheme, _, params = challenge.partition(" ")
        basic = base64.b64encode(":".join(self.credentials or ("", "")).encode()).decode()
        if scheme.lower() == "basic":
            self._authorization = f"Basic {basic}"
            return True
        fields = dict(part.split("=", 1) for part in _split_params(params))
        realm = fields.pop("realm", "").strip('"')
        query = urlencode({k: v.strip('"') for k, v in fields.items()})
        token_request = urllib.request.Request(f"{realm}?{query}")
        if self.credentials:
            token_request.add_header("Authorization", f"Basic {basic}")
        try:
            with open_url(token_request, timeout=TIMEOUT) as response:
                token = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RepoError(f"{self.host}: token request to {realm} failed: {exc}") from exc
        self._authorization = f"Bearer {token.get('token') or token.get('access_token')}"
        return True

    # ------------------------------------------------------------ blobs, manifests
    def push_blob(self, repository: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, _, _ = self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        if status == 200:
            return digest
        status, body, headers = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        if status != 202:
            raise RepoError(f"{self.host}/{repository}: blob upload refused ({status}): "
                            f"{body[:200].decode(errors='replace')}")
        location = urljoin(self.base + "/", headers["Location"])
        separator = "&" if "?" in location else "?"
        status, body, _ = self.request("PUT", f"{location}{separator}digest={digest}", data,
                                       {"Content-Type": "application/octet-stream"})
        if status != 201:
            raise RepoError(f"{self.host}/{repository}: blob upload failed ({status})")
        return digest

    def get_blob(self, repository: str, digest: str) -> bytes:
        status, body, _ = self.request("GET", f"/v2/{repository}/blobs/{digest}")
        if status != 200:
            raise RepoError(f"{self.host}/{repository}: blob {digest} not found ({status})")
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise RepoError(f"{self.host}/{repository}: blob {digest} does not match its "
                            "digest")
        return body

    def tags(self, repository: str) -> list[str]:
        status, body, _ = self.request("GET", f"/v2/{repository}/tags/list")
        if status == 404:
            raise RepoError(f"oci://{self.host}/{repository}: no such chart")
        if status != 200:
            raise RepoError(f"oci://{self.host}/{repository}: cannot list tags ({status})")
        return list(json.loads(body).get("tags") or [])


def _split_params(params: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in params:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [p for p in [*parts, current.strip()] if "=" in p]


def push_chart(package: Path, ref: str, *, plain_http: bool | None = None,
               paths: RepoPaths | None = None, tls: TlsSettings | None = None,
               credentials: tuple[str, str] | None = None) -> str:
    """Push a packaged chart under ``ref`` (oci://HOST/PATH); returns NAME:TAG's ref.
    ``credentials`` (Helm's push --username/--password) win over a stored login."""
    metadata = parse_metadata(package_metadata(package), f"{package.name}/Chart.yaml")
    target = Reference.parse(ref).child(metadata.name)
    registry = Registry(target.host, plain_http=plain_http, paths=paths, tls=tls)
    if credentials is not None:
        registry.credentials = credentials
    data = package.read_bytes()
    config = json.dumps(metadata_to_dict(metadata), separators=(",", ":")).encode()
    config_digest = registry.push_blob(target.repository, config)
    layer_digest = registry.push_blob(target.repository, data)
    layers = [{"mediaType": CHART_LAYER, "digest": layer_digest, "size": len(data)}]
    prov_file = Path(f"{package}.prov")
    if prov_file.is_file():  # as Helm 4.3: the provenance is a layer of its own
        prov = prov_file.read_bytes()
        layers.append({"mediaType": PROV_LAYER,
                       "digest": registry.push_blob(target.repository, prov),
                       "size": len(prov)})
        layers.sort(key=lambda layer: str(layer["digest"]))  # Helm's order: by digest
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config)},
        "layers": layers,
        "annotations": {"org.opencontainers.image.title": metadata.name,
                        "org.opencontainers.image.version": metadata.version,
                        "org.opencontainers.image.description": metadata.description or ""},
    }, separators=(",", ":")).encode()
    tag = metadata.version.replace("+", "_")
    status, body, _ = registry.request("PUT", f"/v2/{target.repository}/manifests/{tag}",
                                       manifest, {"Content-Type": MANIFEST})
    if status != 201:
        raise RepoError(f"oci://{target.host}/{target.repository}:{tag}: manifest refused "
                        f"({status}): {body[:200].decode(errors='replace')}")
    return f"oci://{target.host}/{target.repository}:{tag}"


def pull_chart(ref: str, *, version: str | None = None, dest_dir: Path,
               plain_http: bool | None = None, paths: RepoPaths | None = None,
               access: RegistryAccess | None = None, prov: bool = False) -> Path:
    """Download ``oci://HOST/PATH/NAME`` at ``version`` (exact, constraint or newest).
    With ``access.verify_keyring`` the provenance layer is checked before anything is
    written; ``prov`` keeps it as ``NAME-VERSION.tgz.prov``."""
    target = Reference.parse(ref)
    name = target.repository.rsplit("/", 1)[-1]
    access = access or RegistryAccess()
    registry = Registry(target.host, paths=paths, tls=access.tls,
                        plain_http=plain_http if plain_http is not None else access.plain_http)
    if access.credentials is not None:
        registry.credentials = access.credentials
    tag = _choose_tag(registry, target, version)
    status, body, _ = registry.request("GET", f"/v2/{target.repository}/manifests/{tag}",
                                       headers={"Accept": MANIFEST})
    if status == 404:
        raise RepoError(f"{ref}: version {tag} not found")
    if status != 200:
        raise RepoError(f"{ref}:{tag}: cannot read the manifest ({status})")
    all_layers = json.loads(body).get("layers") or []
    layers = [layer for layer in all_layers if layer.get("mediaType") == CHART_LAYER]
    if not layers:
        raise RepoError(f"{ref}:{tag}: not a Helm chart (no {CHART_LAYER} layer)")
    data = registry.get_blob(target.repository, layers[0]["digest"])
    path = confined(dest_dir, f"{name}-{tag.replace('_', '+')}.tgz")
    provs = [layer for layer in all_layers if layer.get("mediaType") == PROV_LAYER]

    def fetch_prov() -> bytes:
        if not provs:
            raise RepoError(f"{ref}:{tag}: no provenance layer")
        return registry.get_blob(target.repository, provs[0]["digest"])

    write_verified(path, data, fetch_prov, f"{ref}:{tag}.prov",
                   keyring=access.verify_keyring, prov=prov)
    return path


def _choose_tag(registry: Registry, target: Reference, version: str | None) -> str:
    if version and semver.is_valid(version.lstrip("v")):
        return version.lstrip("v").replace("+", "_")
    tags = registry.tags(target.repository)
    best = semver.best_match(version or "*", [t.replace("_", "+") for t in tags])
    if best is None:
        wanted = f'version "{version}"' if version else "any version"
        raise RepoError(f"oci://{target.host}/{target.repository}: {wanted} not found "
                        f"(tags: {', '.join(tags) or 'none'})")
    return str(best).replace("+", "_")


def login(host: str, username: str, password: str, *, plain_http: bool | None = None,
          paths: RepoPaths | None = None, tls: TlsSettings | None = None) -> None:
    """Check the credentials against ``/v2/``, then store them like Docker does."""
    registry = Registry(host, plain_http=plain_http, paths=paths, tls=tls)
    registry.credentials = (username, password)
    status, _, _ = registry.request("GET", "/v2/")
    if status != 200:
        raise RepoError(f"{host}: login failed ({status})")
    registry_auth.store(host, username, password, paths)
