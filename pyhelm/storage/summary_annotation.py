"""A record's summary kept as an annotation on its storage object.

``list`` and ``history`` then read one metadata-only list instead of decoding records.
Helm ignores the annotation and drops it when it rewrites the object (its update
replaces the whole object), so a record without one, or with one that disagrees with the
labels Helm does maintain (name, version, status), is decoded instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pyhelm.errors import ReleaseError
from pyhelm.release import codec
from pyhelm.release.model import Release
from pyhelm.release.status import Status
from pyhelm.release.summary import Summary

SUMMARY_ANNOTATION = "pyhelm.sh/summary"
# a longer description (a failure's whole error) stays only in the record: an annotation
# read on every `list` should stay small
MAX_DESCRIPTION = 512


def annotation(release: Release) -> str:
    meta = release.chart.metadata
    fields: dict[str, Any] = {"v": release.version, "s": str(release.info.status),
                              "c": meta.name, "cv": meta.version,
                              "a": meta.app_version or "",
                              "u": codec.format_time(release.info.last_deployed)}
    if release.info.rollback_revision:
        fields["r"] = release.info.rollback_revision
    if len(release.info.description) <= MAX_DESCRIPTION:
        fields["d"] = release.info.description
    return json.dumps(fields, separators=(",", ":"))


def read(metadata: Mapping[str, Any]) -> Summary | None:
    """The summary an object's metadata carries, or None when it has none or it does not
    agree with the object's labels (a record rewritten by a tool that kept it)."""
    labels = metadata.get("labels") or {}
    text = (metadata.get("annotations") or {}).get(SUMMARY_ANNOTATION)
    if not text:
        return None
    try:
        fields = json.loads(text)
        summary = Summary(
            name=str(labels["name"]), namespace=str(metadata.get("namespace") or ""),
            version=int(fields["v"]), status=Status(fields["s"]),
            last_deployed=codec.parse_time(fields["u"]), chart_name=str(fields["c"]),
            chart_version=str(fields["cv"]), app_version=str(fields["a"]),
            description=str(fields["d"]) if "d" in fields else None, labels=dict(labels),
            rollback_revision=int(fields.get("r", 0)))
    except (ValueError, KeyError, TypeError, ReleaseError):
        return None
    if (labels.get("version") != str(summary.version)
            or labels.get("status") != str(summary.status)
            or metadata.get("name") != f"sh.helm.release.v1.{summary.name}.v{summary.version}"):
        return None
    return summary
