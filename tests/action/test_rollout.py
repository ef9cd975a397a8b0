"""Release names and Go durations, as Helm accepts them."""

from __future__ import annotations

import pytest

from pyhelm.action.rollout import parse_duration
from pyhelm.errors import UsageError
from pyhelm.release.names import validate_release_name


@pytest.mark.parametrize(("text", "seconds"), [
    ("5m0s", 300.0), ("300s", 300.0), ("1h30m", 5400.0), ("90", 90.0), ("1.5s", 1.5),
    ("250ms", 0.25)])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 minutes", "", "m5", "5x"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize("name", ["web", "my-app.v2", "a" * 53])
def test_valid_release_names(name: str) -> None:
    validate_release_name(name)


@pytest.mark.parametrize("name", ["Web", "-web", "web_1", "a" * 54, ""])
def test_invalid_release_names(name: str) -> None:
    with pytest.raises(UsageError, match="invalid release name"):
        validate_release_name(name)
