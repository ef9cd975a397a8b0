"""``list``'s selector, date sort, reverse, offset and max, and ``--time-format``'s Go
layouts, on in-memory records."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pyhelm.action.list_releases import ListOptions, select_releases
from pyhelm.action.records import new_release
from pyhelm.chart.loader import load_chart
from pyhelm.engine.manifest import Rendered
from pyhelm.errors import UsageError
from pyhelm.release.model import Release
from pyhelm.release.timefmt import go_format

CHART = load_chart(Path(__file__).resolve().parents[2] / "charts" / "demo")


def dated(name: str, day: int, state: str = "deployed", **labels: str) -> Release:
    found = new_release(name=name, namespace="ns", revision=1, chart=CHART, config={},
                        rendered=Rendered(manifests=(), hooks=(), crds=(), notes="",
                                          templates={}),
                        state=state, description="", now=datetime(2026, 1, 1, tzinfo=UTC))
    info = dataclasses.replace(found.info, last_deployed=datetime(2026, 1, day, tzinfo=UTC))
    return dataclasses.replace(found, info=info, labels=dict(labels))


RELEASES = [dated("b", 3, team="x"), dated("a", 2, team="y"), dated("c", 1, "failed")]


@pytest.mark.parametrize(("options", "names"), [
    (ListOptions(), ["a", "b", "c"]),
    (ListOptions(by_date=True), ["c", "a", "b"]),
    (ListOptions(by_date=True, reverse=True), ["b", "a", "c"]),
    (ListOptions(reverse=True), ["c", "b", "a"]),
    (ListOptions(offset=1), ["b", "c"]),
    (ListOptions(offset=1, max=1), ["b"]),
    (ListOptions(offset=5), []),
    (ListOptions(selector="team=x"), ["b"]),
    (ListOptions(selector="team!=x"), ["a", "c"]),
    (ListOptions(selector="status==failed"), ["c"]),
    (ListOptions(selector="name=a,team=y"), ["a"]),
    (ListOptions(selector="owner=helm,version=1"), ["a", "b", "c"]),
])
def test_list_ordering_paging_and_selectors(options: ListOptions, names: list[str]) -> None:
    assert [r.name for r in select_releases(RELEASES, options)] == names


@pytest.mark.parametrize("selector", ["team", "=x", "a b=c"])
def test_bad_selector_is_a_usage_error(selector: str) -> None:
    with pytest.raises(UsageError, match="--selector"):
        select_releases(RELEASES, ListOptions(selector=selector))


@pytest.mark.parametrize(("layout", "text"), [
    ("2006-01-02 15:04:05Z0700", "2026-03-05 14:07:09Z"),
    ("Mon Jan _2 15:04:05 2006", "Thu Mar  5 14:07:09 2026"),
    ("2006-01-02T15:04:05.999999999Z07:00", "2026-03-05T14:07:09.12345Z"),
    ("2006-01-02T15:04:05.000-0700", "2026-03-05T14:07:09.123+0000"),
    ("Jan 2, 2006 at 3:04pm (MST)", "Mar 5, 2026 at 2:07pm (UTC)"),
    ("January 02 06 03PM .9", "March 05 26 02PM .1"),
])
def test_go_time_layouts(layout: str, text: str) -> None:
    value = datetime(2026, 3, 5, 14, 7, 9, 123450, tzinfo=UTC)
    assert go_format(value, layout) == text
