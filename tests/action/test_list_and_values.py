"""list filtering (latest revision per release, Helm's default states) and upgrade's
value-reuse rules, on in-memory records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pyhelm.action.lifecycle import reuse_rule
from pyhelm.action.list_releases import ListOptions, select_releases
from pyhelm.action.records import new_release
from pyhelm.action.rendering import reused_values
from pyhelm.action.upgrade import UpgradeOptions
from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.loader import load_chart
from pyhelm.engine.manifest import Rendered
from pyhelm.errors import UsageError
from pyhelm.release.model import Release

CHART = load_chart(Path(__file__).resolve().parents[2] / "charts" / "demo")
EMPTY = Rendered(manifests=(), hooks=(), crds=(), notes="", templates={})


def record(name: str, version: int, state: str, namespace: str = "ns",
           config: dict | None = None) -> Release:
    return new_release(name=name, namespace=namespace, revision=version, chart=CHART,
                       config=config or {}, rendered=EMPTY, state=state, description="",
                       now=datetime(2026, 1, 1, tzinfo=UTC))


def test_list_shows_latest_revision_in_any_state_by_default_as_helm_4() -> None:
    found = select_releases([record("web", 1, "superseded"), record("web", 2, "deployed"),
                    record("api", 1, "failed"), record("old", 1, "uninstalled")],
                   ListOptions())
    assert [(r.name, r.version) for r in found] == [("api", 1), ("old", 1), ("web", 2)]


def test_list_state_flags_filter_and_all() -> None:
    revisions = [record("web", 1, "deployed"), record("old", 1, "uninstalled"),
                 record("web", 1, "deployed", namespace="other")]
    uninstalled = ListOptions(states=frozenset({"uninstalled"}))
    assert [r.name for r in select_releases(revisions, uninstalled)] == ["old"]
    assert [(r.name, r.namespace) for r in select_releases(revisions, ListOptions(
        all_states=True, filter="^w"))] == [("web", "ns"), ("web", "other")]
    with pytest.raises(UsageError, match="--filter"):
        select_releases(revisions, ListOptions(filter="("))


@pytest.mark.parametrize(("flags", "expected"), [
    ({}, {"replicaCount": 3}),
    ({"reset_values": True}, {"image": {"tag": "x"}}),
    ({"reuse_values": True}, {"replicaCount": 3, "image": {"tag": "x"}}),
])
def test_upgrade_value_rules(flags: dict, expected: dict) -> None:
    previous = record("web", 1, "deployed", config={"replicaCount": 3})
    values = ValueOptions(values={"image": {"tag": "x"}})
    options = UpgradeOptions(name="web", chart="c", values=values, **flags)
    if not flags:
        options = UpgradeOptions(name="web", chart="c")
    rule = reuse_rule(options.reset_values, options.reuse_values,
                      options.reset_then_reuse_values, previous)
    assert reused_values(rule, options.values) == expected
