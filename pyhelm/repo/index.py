"""A chart repository's ``index.yaml``, in Helm's format.

``apiVersion: v1``, ``entries`` by chart name, each version carrying its Chart.yaml
fields plus ``urls``, ``digest`` (sha256 of the package) and ``created``; a top-level
``generated``. Versions are sorted newest first. Building reads only ``NAME/Chart.yaml``
from each package, never the whole chart, and keeps the ``created`` time of a package
whose digest is unchanged, so rebuilding an unchanged repository changes nothing but
``generated``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyhelm import yamlio
from pyhelm.chart import semver
from pyhelm.chart.loader import parse_metadata
from pyhelm.errors import ChartError, RepoError
from pyhelm.release.codec import format_time
from pyhelm.repo.safe_paths import chart_name_problem, version_problem

MAX_INDEX_BYTES = 64 * 1024 * 1024


@dataclass
class ChartVersion:
    """One entry of ``entries[name]``: Chart.yaml fields plus where and what it is."""

    metadata: dict[str, Any]
    urls: list[str]
    digest: str
    created: str

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    @functools.cached_property
    def parsed_version(self) -> semver.Version:
        try:
            return semver.Version.parse(self.version)
        except semver.SemverError:
            return semver.Version(0, 0, 0)

    def sort_key(self) -> semver.Version:
        return self.parsed_version

    def to_dict(self) -> dict[str, Any]:
        return {**self.metadata, "urls": list(self.urls), "digest": self.digest,
                "created": self.created}


@dataclass
class Index:
    entries: dict[str, list[ChartVersion]] = field(default_factory=dict)
    generated: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # entries left out when loading

    def add(self, entry: ChartVersion) -> None:
        self.add_all([entry])

    def add_all(self, entries: Iterable[ChartVersion | tuple[str, ChartVersion]]) -> None:
        """Add (or replace) versions, then sort each touched chart once, newest first.
        An entry is filed under its chart name, or under the key given with it."""
        merged: dict[str, dict[str, ChartVersion]] = {}
        for item in entries:
            key, entry = item if isinstance(item, tuple) else (item.name, item)
            if key not in merged:
                merged[key] = {v.version: v for v in self.entries.get(key, [])}
            merged[key][entry.version] = entry
        for name, by_version in merged.items():
            self.entries[name] = sorted(by_version.values(), key=ChartVersion.sort_key,
                                        reverse=True)

    def remove(self, name: str, version: str) -> bool:
        versions = self.entries.get(name, [])
        kept = [v for v in versions if v.version != version]
        if len(kept) == len(versions):
            return False
        if kept:
            self.entries[name] = kept
        else:
            del self.entries[name]
        return True

    def get(self, name: str, version: str | None = None) -> ChartVersion | None:
        """A version (or the newest non-prerelease one when version is None)."""
        versions = self.entries.get(name) or []
        if version:
            return next((v for v in versions if v.version == version.lstrip("v")), None) or \
                next((v for v in versions if v.version == version), None)
        stable = [v for v in versions if not v.sort_key().prerelease]
        return next(iter(stable or versions), None)

    def to_dict(self) -> dict[str, Any]:
        # keys in the order Helm writes them (sorted, as its JSON-based YAML does)
        head = {"annotations": dict(sorted(self.annotations.items()))} if self.annotations else {}
        return {**head, "apiVersion": "v1",
                "entries": {name: [v.to_dict() for v in versions]
                            for name, versions in sorted(self.entries.items())},
                "generated": self.generated}

    def to_yaml(self) -> str:
        return yamlio.dump(self.to_dict(), sort_keys=False)

    def to_json(self) -> str:
        """Helm's ``repo index --json``: the index as indented JSON (YAML readers read it),
        top-level keys in the order of Helm's IndexFile type."""
        whole = self.to_dict()
        ordered = {key: whole[key] for key in ("apiVersion", "generated", "entries",
                                                "annotations") if key in whole}
        return json.dumps(ordered, indent=2, ensure_ascii=False)


def load_index(data: bytes | str, source: str) -> Index:
    if len(data) > MAX_INDEX_BYTES:
        raise RepoError(f"{source}: index is larger than {MAX_INDEX_BYTES} bytes")
    try:
        raw = yamlio.load(data)
    except yamlio.YamlSyntaxError as exc:
        raise RepoError(f"{source}: {exc}") from exc
    return index_from_dict(raw, source)


def index_from_dict(raw: Any, source: str) -> Index:
    if not isinstance(raw, dict) or not isinstance(raw.get("entries", {}), dict):
        raise RepoError(f"{source}: not a chart repository index (no entries)")
    if raw.get("apiVersion") not in ("v1", None):
        raise RepoError(f"{source}: unsupported index apiVersion {raw.get('apiVersion')!r}")
    annotations = raw.get("annotations")
    index = Index(generated=str(raw.get("generated") or ""),
                  annotations={str(k): str(v) for k, v in annotations.items()}
                  if isinstance(annotations, dict) else {})
    found: list[tuple[str, ChartVersion]] = []
    for name, versions in (raw.get("entries") or {}).items():
        if not isinstance(versions, list):
            raise RepoError(f"{source}: entry {name!r} is not a list of chart versions")
        for item in versions:
            problem = chart_name_problem(str(name)) or _invalid_entry(item)
            if problem:  # Helm skips such an entry (with a warning), not the whole index
                index.skipped.append(f"skipping invalid entry for chart {name!r} from "
                                     f"{source}: {problem}")
                continue
            meta = {k: v for k, v in item.items() if k not in ("urls", "digest", "created")}
            found.append((str(name), ChartVersion(
                meta, [str(u) for u in item.get("urls") or []], _text(item.get("digest")),
                _text(item.get("created")))))
    index.add_all(found)
    return index


def _invalid_entry(item: Any) -> str:
    """Why an index entry cannot be used ('' when it can): Helm's metadata checks, and
    its chart-name grammar."""
    if item is None:
        return "empty entry"
    if not isinstance(item, dict):
        return "not a mapping"
    if not item.get("name"):
        return "chart.metadata.name is required"
    # names and versions become file names: refused here unless safe as one
    return chart_name_problem(_text(item["name"])) or version_problem(_text(item.get("version")))


def _text(value: Any) -> str:
    """A scalar as text; an unquoted digest of digits would load as a number."""
    return "" if value is None else str(value)


def package_metadata(path: Path | bytes, source: str = "") -> dict[str, Any]:
    """Chart.yaml of a packaged chart (a file, or its bytes named ``source``), read
    without keeping anything else, within the budget of a chart archive."""
    from pyhelm.chart.archive_budget import ArchiveBudget
    from pyhelm.chart.tar_stream import entries

    if isinstance(path, bytes):
        data, path = path, Path(source or "package")
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ChartError(f"{path}: cannot read the package: {exc.strerror}") from exc
    for member, content in entries(data, str(path), ArchiveBudget()):
        parts = member.name.split("/")
        if len(parts) == 2 and parts[1] == "Chart.yaml" and content is not None:
            try:
                raw = yamlio.load(content)
            except yamlio.YamlSyntaxError as exc:
                raise ChartError(f"{path}/Chart.yaml: {exc}") from exc
            parse_metadata(raw, f"{path.name}/Chart.yaml")  # validates
            return dict(raw)
    raise ChartError(f"{path}: no NAME/Chart.yaml inside")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_index(directory: Path, *, url: str = "", merge: Index | None = None,
                previous: Index | None = None, now: datetime | None = None) -> Index:
    """Index every ``*.tgz`` under ``directory`` (sorted, newest version first)."""
    stamp = format_time(now or datetime.now(UTC))
    index = Index(entries={k: list(v) for k, v in (merge.entries if merge else {}).items()})
    known: Mapping[str, str] = {v.digest: v.created for versions in
                                (previous.entries.values() if previous else ())
                                for v in versions}
    found = []
    for package in sorted(directory.rglob("*.tgz")):
        metadata = package_metadata(package)
        digest = file_digest(package)
        relative = package.relative_to(directory).as_posix()
        link = f"{url.rstrip('/')}/{relative}" if url else relative
        found.append(ChartVersion(metadata, [link], digest, known.get(digest, stamp)))
    index.add_all(found)
    index.generated = stamp
    return index


def write_index(index: Index, path: Path, *, as_json: bool = False) -> None:
    """Write atomically (temp file, then rename): readers never see a torn index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".yaml")
    with os.fdopen(handle, "w") as out:
        out.write(index.to_json() if as_json else index.to_yaml())
    os.chmod(temp, 0o644)  # mkstemp makes 0600; an index is served to everyone
    os.replace(temp, path)
