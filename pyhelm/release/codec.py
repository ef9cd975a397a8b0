"""Helm's release record format, both ways.

A record is the release as JSON with Helm's field names and ``omitempty`` rules, gzip
compressed, then base64 encoded (``pkg/storage/driver/util.go``). Times are Go's
RFC 3339 with nanoseconds; an unset ``deleted`` is Go's zero time, as Helm writes it.
Subcharts are not part of Helm's record (its chart type does not serialise them), and
fields pyhelm does not model are kept in ``extra`` so a Helm record survives a round
trip through pyhelm.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyhelm.errors import ReleaseError
from pyhelm.release.model import HookRecord, Info, Release
from pyhelm.release.status import Status

if TYPE_CHECKING:  # loaded by the functions that make charts: `history` needs none
    from pyhelm.chart.model import Chart, ChartMetadata

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_GZIP_MAGIC = b"\x1f\x8b\x08"
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")
_KNOWN = {"name", "info", "chart", "config", "manifest", "hooks", "version", "namespace"}


class RecordedTime(datetime):
    """A time read from a record, printed back as it was written: Go keeps nanoseconds and
    the writer's UTC offset, a datetime only microseconds. A time derived from it (moved to
    another zone, shifted, copied) is a new object without ``text``, formatted as usual."""

    text: str  # set on the instance parse_time returns, never on the class


def format_time(value: datetime | None) -> str:
    if value is None:
        return GO_ZERO_TIME
    recorded: str | None = getattr(value, "text", None)
    if recorded is not None:
        return recorded
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_time(text: str | None) -> datetime | None:
    if not text or text.startswith("0001-01-01"):
        return None
    match = _TIME.match(text)
    if not match:
        raise ReleaseError(f"release record: unreadable time {text!r}")
    base, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    value = RecordedTime.fromisoformat(f"{base}.{micro}{zone}")
    value.text = text
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _omit_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in (None, "", [], {}, False, 0)}


def metadata_to_dict(meta: ChartMetadata) -> dict[str, Any]:
    return _omit_empty({
        "name": meta.name, "home": meta.home, "sources": list(meta.sources),
        "version": meta.version, "description": meta.description,
        "keywords": list(meta.keywords),
        "maintainers": [_omit_empty({"name": m.name, "email": m.email, "url": m.url})
                        for m in meta.maintainers],
        "icon": meta.icon, "apiVersion": meta.api_version, "appVersion": meta.app_version,
        "deprecated": meta.deprecated, "annotations": dict(meta.annotations),
        "kubeVersion": meta.kube_version,
        "dependencies": [_omit_empty({
            "name": d.name, "version": d.version, "repository": d.repository,
            "condition": d.condition, "tags": list(d.tags), "alias": d.alias,
            "import-values": list(d.import_values),
            "enabled": d.enabled if d.enabled is not True else None})
            for d in meta.dependencies],
        "type": meta.type,
    })


def metadata_from_dict(raw: Mapping[str, Any]) -> ChartMetadata:
    from pyhelm.chart.model import ChartMetadata, Dependency, Maintainer

    return ChartMetadata(
        api_version=raw.get("apiVersion", "v2"), name=raw.get("name", ""),
        version=raw.get("version", ""), app_version=raw.get("appVersion"),
        description=raw.get("description"), type=raw.get("type") or "application",
        kube_version=raw.get("kubeVersion"), keywords=tuple(raw.get("keywords") or ()),
        home=raw.get("home"), sources=tuple(raw.get("sources") or ()),
        maintainers=tuple(Maintainer(m.get("name", ""), m.get("email"), m.get("url"))
                          for m in raw.get("maintainers") or ()),
        icon=raw.get("icon"), deprecated=bool(raw.get("deprecated")),
        annotations=dict(raw.get("annotations") or {}),
        dependencies=tuple(Dependency(
            name=d.get("name", ""), version=d.get("version", ""),
            repository=d.get("repository", ""), condition=d.get("condition"),
            tags=tuple(d.get("tags") or ()), alias=d.get("alias"),
            import_values=tuple(d.get("import-values") or ()),
            enabled=d.get("enabled", True) is not False) for d in raw.get("dependencies") or ()))


def chart_to_dict(chart: Chart) -> dict[str, Any]:
    lock = None
    if chart.lock is not None:
        lock = {"generated": chart.lock.generated, "digest": chart.lock.digest,
                "dependencies": [{"name": d.name, "version": d.version,
                                  "repository": d.repository}
                                 for d in chart.lock.dependencies]}
    return {
        "metadata": metadata_to_dict(chart.metadata), "lock": lock,
        "templates": [{"name": f.name, "data": _b64(f.data)} for f in chart.templates],
        "values": dict(chart.values),
        "schema": _b64(chart.schema) if chart.schema is not None else None,
        "files": [{"name": f.name, "data": _b64(f.data)} for f in chart.files],
    }


def chart_from_dict(raw: Mapping[str, Any]) -> Chart:
    from pyhelm.chart.model import Chart, ChartFile, ChartLock, LockedDependency

    lock_raw = raw.get("lock")
    lock = None
    if lock_raw:
        lock = ChartLock(str(lock_raw.get("generated", "")), str(lock_raw.get("digest", "")),
                         tuple(LockedDependency(d.get("name", ""), d.get("version", ""),
                                                d.get("repository", ""))
                               for d in lock_raw.get("dependencies") or ()))

    def files(key: str) -> tuple[ChartFile, ...]:
        return tuple(ChartFile(f["name"], base64.b64decode(f.get("data") or ""))
                     for f in raw.get(key) or ())

    schema = raw.get("schema")
    return Chart(metadata=metadata_from_dict(raw.get("metadata") or {}),
                 values=dict(raw.get("values") or {}),
                 schema=base64.b64decode(schema) if schema else None,
                 templates=files("templates"), files=files("files"), lock=lock)


def _hook_to_dict(hook: HookRecord) -> dict[str, Any]:
    last_run: dict[str, Any] = {"phase": hook.last_run_phase}
    if hook.last_run_started:
        last_run["started_at"] = format_time(hook.last_run_started)
    if hook.last_run_completed:
        last_run["completed_at"] = format_time(hook.last_run_completed)
    out = _omit_empty({"name": hook.name, "kind": hook.kind, "path": hook.path,
                       "manifest": hook.manifest, "events": list(hook.events),
                       "weight": hook.weight, "delete_policies": list(hook.delete_policies)})
    out["last_run"] = last_run
    return out


def _hook_from_dict(raw: Mapping[str, Any]) -> HookRecord:
    last_run = raw.get("last_run") or {}
    return HookRecord(
        name=raw.get("name", ""), kind=raw.get("kind", ""), path=raw.get("path", ""),
        manifest=raw.get("manifest", ""), events=list(raw.get("events") or []),
        weight=int(raw.get("weight") or 0),
        delete_policies=list(raw.get("delete_policies") or []),
        last_run_started=parse_time(last_run.get("started_at")),
        last_run_completed=parse_time(last_run.get("completed_at")),
        last_run_phase=last_run.get("phase", ""))


def to_dict(release: Release) -> dict[str, Any]:
    info = release.info
    info_dict: dict[str, Any] = {
        "first_deployed": format_time(info.first_deployed),
        "last_deployed": format_time(info.last_deployed),
        "deleted": format_time(info.deleted),
    }
    info_dict.update(_omit_empty({"description": info.description,
                                  "status": str(info.status),
                                  "rollback_revision": info.rollback_revision,
                                  "notes": info.notes}))
    record = {**release.extra, **_omit_empty({
        "name": release.name, "info": info_dict, "chart": chart_to_dict(release.chart),
        "config": dict(release.config), "manifest": release.manifest,
        "hooks": [_hook_to_dict(h) for h in release.hooks], "version": release.version,
        "namespace": release.namespace})}
    return record


def from_dict(raw: Mapping[str, Any]) -> Release:
    info = raw.get("info") or {}
    try:
        status = Status(info.get("status") or "unknown")
    except ValueError:
        status = Status.UNKNOWN
    return Release(
        name=raw.get("name", ""), namespace=raw.get("namespace", ""),
        version=int(raw.get("version") or 0),
        info=Info(first_deployed=parse_time(info.get("first_deployed")),
                  last_deployed=parse_time(info.get("last_deployed")),
                  deleted=parse_time(info.get("deleted")),
                  description=info.get("description", ""), status=status,
                  notes=info.get("notes", ""),
                  rollback_revision=int(info.get("rollback_revision") or 0)),
        chart=chart_from_dict(raw.get("chart") or {}), config=dict(raw.get("config") or {}),
        manifest=raw.get("manifest", ""),
        hooks=[_hook_from_dict(h) for h in raw.get("hooks") or ()],
        extra={k: v for k, v in raw.items() if k not in _KNOWN})


def encode(release: Release) -> str:
    """base64(gzip(json)), as Helm's storage drivers write it."""
    payload = json.dumps(to_dict(release), separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(payload, compresslevel=9, mtime=0)).decode()


def decode(text: str | bytes) -> Release:
    try:
        data = base64.b64decode(text)
        if data[:3] == _GZIP_MAGIC:
            data = gzip.decompress(data)
        return from_dict(json.loads(data))
    except (ValueError, OSError, EOFError) as exc:
        raise ReleaseError(f"release record cannot be decoded: {exc}") from exc
