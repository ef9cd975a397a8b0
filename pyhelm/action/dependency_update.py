"""``dependency update``: resolve each dependency against its repository, download it
into ``charts/`` and write ``Chart.lock``; ``build`` from a lock that still matches.

Repositories may be ``file://`` paths, ``http(s)://`` repository URLs, ``@name`` or
``name`` of a repository in repositories.yaml, or ``oci://`` registries. The lock's
digest is computed as Helm's ``HashReq`` does, so Helm accepts pyhelm's Chart.lock.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyhelm import yamlio
from pyhelm.chart import semver
from pyhelm.chart.loader import load_chart
from pyhelm.chart.model import Dependency
from pyhelm.chart.package import write_package
from pyhelm.errors import ChartError, ProvenanceError, RepoError
from pyhelm.release.codec import format_time
from pyhelm.repo import client
from pyhelm.repo.http_access import redacted
from pyhelm.repo.index import Index
from pyhelm.settings import RepoPaths

if TYPE_CHECKING:
    from pyhelm.repo.oci import RegistryAccess

_GO_FIELDS = ("name", "version", "repository", "condition", "tags", "enabled",
              "import-values", "alias")
_ALWAYS = ("name", "repository")


def _go_dependency(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A dependency as Go's json.Marshal writes Helm's chart.Dependency (field order,
    omitempty)."""
    return {k: raw.get(k, "") if k in _ALWAYS else raw[k] for k in _GO_FIELDS
            if k in _ALWAYS or raw.get(k) not in (None, "", [], False)}


def hash_requirements(requirements: Sequence[Mapping[str, Any]],
                      locked: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps([[_go_dependency(d) for d in requirements],
                       [_go_dependency(d) for d in locked]], separators=(",", ":"),
                      ensure_ascii=False)
    # Go escapes these three in JSON strings; the digest must see the same bytes
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _repository_index(repository: str, paths: RepoPaths | None
                      ) -> tuple[Index, str, client.RepoEntry]:
    if "://" in repository:  # http(s), or the scheme of a getter plugin
        # an added repository with this URL lends its login and TLS settings (Helm's way)
        entry = next((r for r in client.RepoConfig.load(paths).repositories
                      if r.url.rstrip("/") == repository.rstrip("/")),
                     client.RepoEntry("", repository))
        return client.fetch_index(entry)[0], repository, entry
    name = repository.removeprefix("@").removeprefix("alias:")
    entry = client.RepoConfig.load(paths).get(name)
    return client.cached_index(name, paths), entry.url, entry


def _fetch(dependency: Dependency, root: Path, charts: Path, version: str | None,
           paths: RepoPaths | None, registry: RegistryAccess | None = None) -> str:
    """Put the dependency's package in charts/; return the version used."""
    constraint = version or dependency.version or "*"
    repository = dependency.repository
    if repository.startswith("file://"):
        source = (root / repository[len("file://"):]).resolve()
        found = load_chart(source).metadata.version
        if not semver.Constraint.parse(constraint).allows(semver.Version.parse(found)):
            raise ChartError(f'dependency "{dependency.name}": {source} has version {found}, '
                             f'which does not satisfy "{constraint}"')
        write_package(source, charts)
        return found
    if repository.startswith("oci://"):
        from pyhelm.repo.oci import pull_chart

        path = pull_chart(f"{repository.rstrip('/')}/{dependency.name}", version=constraint,
                          dest_dir=charts, paths=paths, access=registry)
        return path.name.removeprefix(f"{dependency.name}-").removesuffix(".tgz")
    if not repository:
        raise ChartError(f'dependency "{dependency.name}" has no repository')
    index, url, entry = _repository_index(repository, paths)
    chosen = client.resolve(index, dependency.name, constraint, redacted(repository))
    try:
        client.download(chosen, url, entry, charts,
                        keyring=registry.verify_keyring if registry else None)
    except ProvenanceError as exc:  # Helm's words for a dependency that does not verify
        where = client.join_url(url.rstrip("/") + "/", chosen.urls[0]) if chosen.urls else url
        raise ProvenanceError(f"could not download {redacted(where)}: {exc}") from None
    return chosen.version


def _drop_stale(charts: Path, name: str, keep: str) -> None:
    for old in charts.glob(f"{glob.escape(name)}-*.tgz"):
        # a dependency named ../x would glob outside charts/: only charts/ is cleaned
        if old.parent == charts and old.name != keep and \
                old.name[len(name) + 1:-4][:1].isdigit():
            old.unlink()


def _write_lock(root: Path, requirements: list[Mapping[str, Any]],
                locked: list[dict[str, str]]) -> None:
    lock = {"dependencies": locked, "digest": hash_requirements(requirements, locked),
            "generated": format_time(datetime.now(UTC))}
    client.atomic_write(root / "Chart.lock", yamlio.dump(lock, sort_keys=False).encode())


def update(chart_dir: str, paths: RepoPaths | None = None,
           registry: RegistryAccess | None = None) -> list[dict[str, str]]:
    """Resolve, download and lock every dependency; returns the locked entries. A chart
    that declares none is left as it is (no Chart.lock, no charts/), as Helm leaves it.
    ``registry``: how to reach the registries of oci:// dependencies."""
    root = Path(chart_dir)
    chart = load_chart(root)
    if chart.raw_metadata.get("dependencies") is None:
        return []
    charts = root / "charts"
    charts.mkdir(exist_ok=True)
    locked = []
    for dependency in chart.metadata.dependencies:
        try:
            version = _fetch(dependency, root, charts, None, paths, registry)
        except ProvenanceError:
            raise
        except RepoError as exc:
            raise RepoError(f'dependency "{dependency.name}": {exc}') from exc
        _drop_stale(charts, dependency.name, f"{dependency.name}-{version}.tgz")
        locked.append({"name": dependency.name, "repository": dependency.repository,
                       "version": version})
    _write_lock(root, list(chart.raw_metadata.get("dependencies") or []), locked)
    return locked


def build(chart_dir: str, paths: RepoPaths | None = None,
          registry: RegistryAccess | None = None) -> list[dict[str, str]]:
    """Rebuild charts/ from Chart.lock; refuses a lock that no longer matches Chart.yaml."""
    root = Path(chart_dir)
    chart = load_chart(root)
    if chart.lock is None:
        return update(chart_dir, paths, registry)
    locked = [{"name": d.name, "repository": d.repository, "version": d.version}
              for d in chart.lock.dependencies]
    requirements = list(chart.raw_metadata.get("dependencies") or [])
    if hash_requirements(requirements, locked) != chart.lock.digest:
        raise ChartError("the lock file (Chart.lock) is out of sync with the dependencies "
                         "file (Chart.yaml). Please update the dependencies with "
                         "'helm dependency update'")
    charts = root / "charts"
    charts.mkdir(exist_ok=True)
    by_name = {d.name: d for d in chart.metadata.dependencies}
    for entry in locked:
        _fetch(by_name[entry["name"]], root, charts, entry["version"], paths, registry)
        _drop_stale(charts, entry["name"], f"{entry['name']}-{entry['version']}.tgz")
    return locked
