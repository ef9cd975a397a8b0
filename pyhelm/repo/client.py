"""The user's chart repositories: ``repositories.yaml``, cached indexes, search, pull.

Where the files live is the caller's ``RepoPaths`` (``pyhelm.settings``: the CLI builds
it from flags and environment; without one, ``Settings.from_environ()`` decides):
``repositories.yaml`` and ``repository/NAME-index.yaml``. Every write is atomic, and a download is
verified against the index digest before it is renamed into place, so a failure never
leaves a partial file behind.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from pyhelm import yamlio
from pyhelm.chart import semver
from pyhelm.errors import ProvenanceError, RepoError
from pyhelm.release.codec import format_time
from pyhelm.repo.http_access import open_url, redacted, same_origin, split_login
from pyhelm.repo.index import MAX_INDEX_BYTES, ChartVersion, Index, index_from_dict, load_index
from pyhelm.repo.safe_paths import chart_name_problem, confined, version_problem
from pyhelm.settings import RepoPaths, Settings
from pyhelm.tls import TlsSettings, tls_context

TIMEOUT_SECONDS = 30.0
# above any package that can load (a chart unpacks to at most 100 MiB); a hostile server
# may answer without end
MAX_DOWNLOAD_BYTES = 128 * 1024 * 1024


def resolve_paths(paths: RepoPaths | None) -> RepoPaths:
    """The given paths, or those of the environment's settings (library callers)."""
    return paths if paths is not None else Settings.from_environ().repo_paths


@dataclass
class RepoEntry:
    name: str
    url: str
    username: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    insecure_skip_tls_verify: bool = False
    pass_credentials_all: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "username": self.username,
                "password": self.password, "caFile": self.ca_file, "certFile": self.cert_file,
                "keyFile": self.key_file, "insecure_skip_tls_verify":
                    self.insecure_skip_tls_verify,
                "pass_credentials_all": self.pass_credentials_all}

    @property
    def shown_url(self) -> str:
        """The URL as it may be printed (a repositories.yaml written by Helm may hold a
        password in it)."""
        return redacted(self.url)

    def with_login_out_of_url(self) -> RepoEntry:
        """This entry with a login written in its URL moved to username and password
        (a login given as flags wins, as Helm's header wins over the URL's)."""
        url, username, password = split_login(self.url)
        if self.username:
            return dataclasses.replace(self, url=url)
        return dataclasses.replace(self, url=url, username=username, password=password)

    def login_for(self, url: str) -> tuple[str, str] | None:
        """The login to send with a request for ``url``: only to the repository's own
        scheme, host and port, unless credentials pass to every host."""
        entry = self.with_login_out_of_url()
        if not entry.username:
            return None
        if entry.pass_credentials_all or same_origin(url, entry.url):
            return entry.username, entry.password
        return None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RepoEntry:
        return cls(name=str(raw.get("name", "")), url=str(raw.get("url", "")),
                   username=str(raw.get("username") or ""),
                   password=str(raw.get("password") or ""),
                   ca_file=str(raw.get("caFile") or ""), cert_file=str(raw.get("certFile") or ""),
                   key_file=str(raw.get("keyFile") or ""),
                   insecure_skip_tls_verify=bool(raw.get("insecure_skip_tls_verify")),
                   pass_credentials_all=bool(raw.get("pass_credentials_all")))


@dataclass
class RepoConfig:
    repositories: list[RepoEntry] = field(default_factory=list)

    @classmethod
    def load(cls, paths: RepoPaths | None = None) -> RepoConfig:
        path = resolve_paths(paths).repository_config
        if not path.exists():
            return cls()
        raw = yamlio.load(path.read_text()) or {}
        return cls([RepoEntry.from_dict(r) for r in raw.get("repositories") or []])

    def save(self, paths: RepoPaths | None = None) -> None:
        path = resolve_paths(paths).repository_config
        data = {"apiVersion": "", "generated": format_time(datetime.now(UTC)),
                "repositories": [r.to_dict() for r in self.repositories]}
        atomic_write(path, yamlio.dump(data, sort_keys=False).encode(), mode=0o600)

    def get(self, name: str) -> RepoEntry:
        for entry in self.repositories:
            if entry.name == name:
                return entry
        raise RepoError(f'no repository named "{name}" (see `pyhelm repo list`)')


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temp, mode)
    os.replace(temp, path)


def fetch(url: str, entry: RepoEntry | None = None, timeout: float = TIMEOUT_SECONDS,
          limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """GET a URL of repository ``entry`` (by default the URL is a repository of its own):
    the repository's login goes only where ``RepoEntry.login_for`` allows, its TLS
    settings apply, errors show the URL ``redacted``, and at most ``limit`` bytes are
    read."""
    entry = entry or RepoEntry("", url)
    if not url.startswith(("http://", "https://")):
        return _fetch_with_plugin(url, entry, limit)
    target, url_user, url_password = split_login(url)
    request = urllib.request.Request(target, headers={"User-Agent": "pyhelm"})
    login = entry.login_for(target) or ((url_user, url_password) if url_user else None)
    if login:
        token = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    context = None
    if target.startswith("https://"):
        context = tls_context(TlsSettings(
            ca_file=entry.ca_file or None, cert_file=entry.cert_file or None,
            key_file=entry.key_file or None, insecure=entry.insecure_skip_tls_verify))
    shown = redacted(url)
    try:
        with open_url(request, timeout=timeout, context=context) as response:
            data = bytes(response.read(limit + 1))
    except urllib.error.HTTPError as exc:
        raise RepoError(f"{shown}: HTTP {exc.code} {exc.reason}") from exc
    except TimeoutError as exc:
        raise RepoError(f"{shown}: timed out after {timeout:g}s") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RepoError(f"{shown}: cannot fetch: {reason}") from exc
    if len(data) > limit:
        raise RepoError(f"{shown}: the answer is larger than {limit} bytes")
    return data


def _fetch_with_plugin(url: str, entry: RepoEntry, limit: int) -> bytes:
    """A URL of another scheme, from the getter plugin that declares it (Helm's)."""
    from pyhelm.errors import PluginError
    from pyhelm.plugin import getters

    settings = Settings.from_environ()
    credentials = getters.Credentials(
        cert_file=entry.cert_file, key_file=entry.key_file, ca_file=entry.ca_file,
        username=entry.username, password=entry.password,
        pass_credentials=entry.pass_credentials_all)
    try:
        return getters.fetch(url, settings.plugin_dirs, env=settings.env_vars(sys.argv[0]),
                             credentials=credentials, limit=limit)
    except PluginError as exc:
        raise RepoError(str(exc)) from exc


def has_getter(url: str) -> bool:
    """Whether pyhelm can fetch ``url``: http(s), or a getter plugin's scheme."""
    from pyhelm.plugin import getters

    scheme = getters.scheme_of(url)
    return scheme in ("http", "https") or getters.find_getter(
        Settings.from_environ().plugin_dirs, scheme) is not None


def join_url(base: str, reference: str) -> str:
    """``reference`` resolved against a repository URL, whatever its scheme (Go's
    ResolveReference; urljoin leaves schemes it does not know unjoined)."""
    scheme, separator, rest = base.partition("://")
    if not separator or scheme.lower() in ("http", "https") or "://" in reference:
        return urljoin(base, reference)
    return scheme + "://" + urljoin("https://" + rest, reference).removeprefix("https://")


def index_url(url: str) -> str:
    return url.rstrip("/") + "/index.yaml"


def cached_index_path(name: str, paths: RepoPaths | None = None) -> Path:
    return resolve_paths(paths).repository_cache / f"{name}-index.yaml"


def warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def fetch_index(entry: RepoEntry, warn: Callable[[str], None] = warn_stderr,
                timeout: float = TIMEOUT_SECONDS) -> tuple[Index, bytes]:
    """A repository's index, downloaded and validated (entries left out are warned
    about, as Helm warns), and its bytes."""
    data = fetch(index_url(entry.url), entry, timeout=timeout, limit=MAX_INDEX_BYTES)
    index = load_index(data, index_url(entry.shown_url))
    for message in index.skipped:
        warn(message)
    return index, data


def refresh(entry: RepoEntry, paths: RepoPaths | None = None,
            timeout: float = TIMEOUT_SECONDS) -> Index:
    """Download and validate a repository's index, then cache it."""
    index, data = fetch_index(entry, timeout=timeout)
    atomic_write(confined(resolve_paths(paths).repository_cache, f"{entry.name}-index.yaml"),
                 data)
    return index


def add(entry: RepoEntry, *, force_update: bool = False, paths: RepoPaths | None = None,
        timeout: float = TIMEOUT_SECONDS) -> None:
    if "/" in entry.name:  # Helm's rule, and the name is part of a file name
        raise RepoError(f"repository name ({entry.name}) contains '/', please specify a "
                        "different name without '/'")
    entry = entry.with_login_out_of_url()
    if "://" in entry.url and not has_getter(entry.url):
        raise RepoError("could not find protocol handler for: "
                        f"{entry.url.partition('://')[0]}")
    config = RepoConfig.load(paths)
    existing = next((r for r in config.repositories if r.name == entry.name), None)
    if existing and existing.to_dict() != entry.to_dict() and not force_update:
        raise RepoError(f'repository name "{entry.name}" already exists with other settings '
                        "(use --force-update)")
    refresh(entry, paths, timeout)
    config.repositories = [r for r in config.repositories if r.name != entry.name] + [entry]
    config.save(paths)


def remove(name: str, paths: RepoPaths | None = None) -> None:
    config = RepoConfig.load(paths)
    config.get(name)
    config.repositories = [r for r in config.repositories if r.name != name]
    config.save(paths)
    cached_index_path(name, paths).unlink(missing_ok=True)


def cached_index(name: str, paths: RepoPaths | None = None) -> Index:
    """The cached index of a repository.

    Parsing a large index.yaml dominates ``search``; a JSON copy beside it (rewritten
    whenever the YAML is newer) loads many times faster."""
    path = cached_index_path(name, paths)
    if not path.exists():
        raise RepoError(f'no cached index for "{name}" (run `pyhelm repo update`)')
    fast = path.with_suffix(".json")
    if fast.exists() and fast.stat().st_mtime_ns >= path.stat().st_mtime_ns:
        try:
            return index_from_dict(json.loads(fast.read_bytes()), str(path))
        except (ValueError, RepoError):
            pass  # a damaged copy is rebuilt from the YAML below
    index = load_index(path.read_bytes(), str(path))
    atomic_write(fast, json.dumps(index.to_dict(), default=str).encode())
    return index


@dataclass(frozen=True)
class SearchHit:
    name: str
    version: str
    app_version: str
    description: str


def search(keyword: str = "", *, constraint: str | None = None, all_versions: bool = False,
           devel: bool = False, regexp: bool = False, paths: RepoPaths | None = None
           ) -> list[SearchHit]:
    """Charts whose name, description or keywords contain ``keyword`` (any case), or
    (``regexp``) in which that regular expression matches, as written."""
    wanted = semver.Constraint.parse(constraint) if constraint else None
    needle = keyword.lower()
    try:
        pattern = re.compile(keyword) if regexp else None
    except re.error as exc:
        raise RepoError(f"error parsing regexp: {exc}") from None
    hits: list[SearchHit] = []
    repositories = RepoConfig.load(paths).repositories
    if not repositories:
        raise RepoError("no repositories configured")  # Helm's words
    for entry in repositories:
        index = cached_index(entry.name, paths)
        for name, versions in index.entries.items():
            full = f"{entry.name}/{name}"
            for version in versions:
                meta = version.metadata
                text = " ".join([full, str(meta.get("description") or ""),
                                 *map(str, meta.get("keywords") or [])])
                if pattern is not None:
                    if not pattern.search(text):
                        continue
                elif needle and needle not in text.lower():
                    continue
                parsed = version.sort_key()
                if parsed.prerelease and not devel and not (wanted and wanted.allows(parsed)):
                    continue
                if wanted and not wanted.allows(parsed):
                    continue
                hits.append(SearchHit(full, version.version, str(meta.get("appVersion") or ""),
                                      str(meta.get("description") or "")))
                if not all_versions:
                    break
    return sorted(hits, key=lambda h: h.name)


def resolve(index: Index, name: str, version: str | None, source: str) -> ChartVersion:
    """The entry for ``version`` (an exact version or a constraint; default newest)."""
    versions = index.entries.get(name)
    if not versions:
        raise RepoError(f'chart "{name}" not found in {source}')
    if not version:
        found = index.get(name)
    elif index.get(name, version):
        found = index.get(name, version)
    else:
        best = semver.best_match(version, [v.version for v in versions])
        found = index.get(name, str(best)) if best else None
    if found is None:
        raise RepoError(f'chart "{name}" version "{version}" not found in {source}')
    return found


def download(entry: ChartVersion, base_url: str, repo: RepoEntry | None, dest_dir: Path,
             *, keyring: Path | None = None, prov: bool = False) -> Path:
    """Download a package, check its digest, then move it into ``dest_dir``. With a
    ``keyring`` (``--verify``) its ``.prov`` is fetched and checked first, and nothing is
    written unless it holds; ``prov`` (``pull --prov``) keeps the ``.prov`` beside it."""
    problem = chart_name_problem(entry.name) or version_problem(entry.version)
    if problem:
        source = repo.name if repo and repo.name else redacted(base_url)
        raise RepoError(f"repository {source}: index entry {entry.name!r} "
                        f"{entry.version!r}: {problem}")
    target = confined(dest_dir, f"{entry.name}-{entry.version}.tgz")
    if not entry.urls:
        raise RepoError(f"{entry.name}-{entry.version}: the index lists no URL")
    url = join_url(base_url.rstrip("/") + "/", entry.urls[0])
    data = fetch(url, repo or RepoEntry("", base_url))
    digest = hashlib.sha256(data).hexdigest()
    if entry.digest and digest != entry.digest:
        raise RepoError(f"{redacted(url)}: digest mismatch (index says {entry.digest}, "
                        f"downloaded {digest})")
    write_verified(target, data, lambda: fetch(url + ".prov", repo or RepoEntry("", base_url)),
                   redacted(url) + ".prov", keyring=keyring, prov=prov)
    return target


def write_verified(target: Path, data: bytes, fetch_prov: Callable[[], bytes], prov_url: str,
                   *, keyring: Path | None, prov: bool) -> None:
    """Write a downloaded package, after checking its provenance when ``keyring`` is set
    (Helm's ``failed to fetch provenance`` when there is none), with its ``.prov`` beside
    it when one was fetched. A package that fails verification is never written."""
    from pyhelm.repo import provenance

    prov_data: bytes | None = None
    if keyring is not None or prov:
        try:
            prov_data = fetch_prov()
        except RepoError as exc:
            if keyring is not None:
                raise ProvenanceError(
                    f'failed to fetch provenance "{prov_url}"') from None
            print(f"WARNING: Verification not found for {target.name}: {exc}",
                  file=sys.stderr)
    if keyring is not None and prov_data is not None:
        provenance.verify(data, prov_data, target.name, keyring)
    atomic_write(target, data)
    if prov_data is not None:
        atomic_write(Path(f"{target}.prov"), prov_data)
