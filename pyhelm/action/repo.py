"""Repository verbs: index a directory, add/list/update/remove repositories, search, pull."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhelm.action.chart_source import ChartLocation
from pyhelm.chart.archive import unpack_archive
from pyhelm.errors import RepoError
from pyhelm.repo import client
from pyhelm.repo.index import Index, build_index, load_index, write_index
from pyhelm.repo.locate import locate_chart
from pyhelm.repo.provenance import Verification
from pyhelm.repo.safe_paths import confined
from pyhelm.settings import RepoPaths


@dataclass(frozen=True, kw_only=True)
class IndexOptions:
    directory: str
    url: str = ""
    merge: str | None = None
    as_json: bool = False  # write index.yaml as JSON (Helm's --json)


def index_directory(options: IndexOptions) -> Index:
    root = Path(options.directory)
    if not root.is_dir():
        raise RepoError(f"{root}: not a directory")
    target = root / "index.yaml"
    previous = load_index(target.read_bytes(), str(target)) if target.exists() else None
    merge = None
    if options.merge:
        merge_path = Path(options.merge)
        merge = load_index(merge_path.read_bytes(), str(merge_path)) \
            if merge_path.exists() else None
    index = build_index(root, url=options.url, merge=merge, previous=previous)
    if previous is not None:
        # nothing changed but the clock: keep the file as it is
        unchanged = {k: [v.to_dict() for v in vs] for k, vs in previous.entries.items()} == \
            {k: [v.to_dict() for v in vs] for k, vs in index.entries.items()}
        if unchanged:
            return previous
    write_index(index, target, as_json=options.as_json)
    return index


@dataclass(frozen=True, kw_only=True)
class PullOptions:
    ref: str
    version: str | None = None
    destination: str = "."
    untar: bool = False
    untar_dir: str | None = None
    repo_url: str | None = None
    location: ChartLocation | None = None  # --repo's access, --plain-http, --devel, --verify
    prov: bool = False  # --prov: fetch the provenance file too (not verified)


def pull(options: PullOptions, paths: RepoPaths | None = None) -> Path:
    """Download a chart (digest-verified) into ``destination``; optionally unpack it."""
    return pull_verified(options, paths)[0]


def pull_verified(options: PullOptions, paths: RepoPaths | None = None
                  ) -> tuple[Path, Verification | None]:
    """``pull``, and with ``--verify`` who signed the chart (what Helm prints). A chart
    whose provenance does not verify is not written."""
    dest = Path(options.destination)
    location = options.location or ChartLocation(repo_url=options.repo_url)
    keyring = location.verify_keyring()
    package = locate_chart(options.ref, version=location.version(options.version),
                           repo_url=location.repo_url, dest_dir=dest, paths=paths,
                           access=location.access(),
                           plain_http=location.plain_http or None, keyring=keyring,
                           prov=options.prov)
    verification = None
    if keyring is not None:
        from pyhelm.repo.provenance import verify_package

        verification = verify_package(package, keyring)
    if not options.untar:
        return package, verification
    top, files = unpack_archive(package.read_bytes(), str(package))  # checked names
    out = confined(Path(options.untar_dir or dest), top)
    for relative, data in files.items():
        target = confined(out, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    package.unlink()
    return out, verification


# The official repositories Google's buckets served, deleted in 2020 (Helm refuses them)
_DELETED = {"//kubernetes-charts.storage.googleapis.com": "https://charts.helm.sh/stable",
            "//kubernetes-charts-incubator.storage.googleapis.com":
                "https://charts.helm.sh/incubator"}


def refuse_deleted_repository(url: str) -> None:
    for old, new in _DELETED.items():
        if old in url:
            raise RepoError(f'repo "{url}" is no longer available; try "{new}" instead')


def add_repository(entry: client.RepoEntry, *, force_update: bool = False,
                   paths: RepoPaths | None = None,
                   timeout: float = client.TIMEOUT_SECONDS) -> None:
    client.add(entry, force_update=force_update, paths=paths, timeout=timeout)


def list_repositories(paths: RepoPaths | None = None) -> list[client.RepoEntry]:
    return client.RepoConfig.load(paths).repositories


@dataclass(frozen=True)
class RepoUpdate:
    entry: client.RepoEntry
    error: str | None  # why its index could not be had; None: updated


def update_repositories(names: tuple[str, ...] = (), paths: RepoPaths | None = None,
                        timeout: float = client.TIMEOUT_SECONDS) -> list[RepoUpdate]:
    """Refresh each repository's cached index, all at once as Helm does; one that fails
    does not stop the others (each outcome is returned, in the order they finished)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    config = client.RepoConfig.load(paths)
    chosen = [config.get(n) for n in names] if names else config.repositories
    if not chosen:
        raise RepoError("no repositories configured (see `pyhelm repo add`)")

    def refresh(entry: client.RepoEntry) -> RepoUpdate:
        try:
            client.refresh(entry, paths, timeout)
        except RepoError as exc:
            return RepoUpdate(entry, str(exc))
        return RepoUpdate(entry, None)

    with ThreadPoolExecutor(max_workers=min(8, len(chosen))) as pool:
        return [done.result() for done in as_completed([pool.submit(refresh, entry)
                                                        for entry in chosen])]


def remove_repository(name: str, paths: RepoPaths | None = None) -> None:
    client.remove(name, paths)


def search(keyword: str = "", *, constraint: str | None = None, all_versions: bool = False,
           devel: bool = False, regexp: bool = False, paths: RepoPaths | None = None
           ) -> list[client.SearchHit]:
    """Charts in the added repositories whose name, description or keywords contain
    ``keyword`` (any case; with ``regexp``, match it as a regular expression), newest
    version first unless ``all_versions``."""
    return client.search(keyword, constraint=constraint, all_versions=all_versions,
                         devel=devel, regexp=regexp, paths=paths)
