"""The summary annotation: written from a record, believed only when it agrees with the
object's labels."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyhelm.action.records import new_release
from pyhelm.chart.loader import load_chart
from pyhelm.engine.manifest import Rendered
from pyhelm.release.summary import summary_of
from pyhelm.storage.driver import helm_labels
from pyhelm.storage.summary_annotation import MAX_DESCRIPTION, SUMMARY_ANNOTATION, annotation, read

CHART = load_chart(Path(__file__).resolve().parents[2] / "charts" / "demo")
RELEASE = new_release(name="web", namespace="ns", revision=3, chart=CHART, config={},
                      rendered=Rendered(manifests=(), hooks=(), crds=(), notes="",
                                        templates={}),
                      state="deployed", description="Upgrade complete",
                      now=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))


def metadata(release: Any = RELEASE, **labels: str) -> dict[str, Any]:
    return {"name": release.key, "namespace": release.namespace,
            "labels": {**helm_labels(release, 0), **labels},
            "annotations": {SUMMARY_ANNOTATION: annotation(release)}}


def test_a_summary_reads_back_as_the_record_says() -> None:
    found = read(metadata())
    assert found == dataclasses.replace(summary_of(RELEASE), labels=metadata()["labels"])
    assert found is not None and found.chart == "demo-0.1.0"


def test_a_long_description_is_left_to_the_record() -> None:
    long = dataclasses.replace(RELEASE, info=dataclasses.replace(
        RELEASE.info, description="x" * (MAX_DESCRIPTION + 1)))
    found = read(metadata(long))
    assert found is not None and found.description is None


@pytest.mark.parametrize("change", [
    {"labels": {"status": "superseded"}}, {"labels": {"version": "4"}},
    {"name": "sh.helm.release.v1.other.v3"}, {"annotations": {}},
    {"annotations": {SUMMARY_ANNOTATION: "{not json"}},
    {"annotations": {SUMMARY_ANNOTATION: json.dumps({"v": 3})}},
])
def test_a_missing_broken_or_stale_summary_is_not_believed(change: dict[str, Any]) -> None:
    meta = metadata()
    for key, value in change.items():
        meta[key] = {**meta[key], **value} if key == "labels" else value
    assert read(meta) is None
