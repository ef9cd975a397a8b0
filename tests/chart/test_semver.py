"""Helm's (Masterminds) version constraints and SemVer 2 ordering."""

import pytest

from pyhelm.chart.semver import Constraint, SemverError, Version, best_match, is_valid


@pytest.mark.parametrize(("constraint", "version", "allowed"), [
    ("^1.2.3", "1.9.0", True), ("^1.2.3", "2.0.0", False), ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False), ("^0.0.3", "0.0.4", False), ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False), ("~1", "1.9.9", True), ("~>1.2", "1.2.5", True),
    ("1.2.x", "1.2.7", True), ("1.2.x", "1.3.0", False), ("*", "9.9.9", True),
    (">=1.2, <2", "1.5.0", True), (">=1.2 <2", "2.0.0", False), (">= 1.2.3", "1.2.3", True),
    ("1.2 - 1.4.5", "1.4.5", True), ("1.2 - 1.4.5", "1.4.6", False),
    (">1.0 || <0.5", "0.4.0", True), (">1.0 || <0.5", "0.7.0", False),
    ("^1.0.0", "1.1.0-beta.1", False), ("^1.0.0-0", "1.1.0-beta.1", True),
    ("!=1.2.3", "1.2.3", False), ("!=1.2.3", "1.2.4", True), (">1.x", "2.0.0", True),
    (">1.x", "1.9.0", False), ("<=1.2.x", "1.2.9", True), ("<=1.2.x", "1.3.0", False),
    ("1.2.3", "1.2.3+build.5", True), ("v1.2.3", "1.2.3", True),
])
def test_constraints(constraint: str, version: str, allowed: bool) -> None:
    assert Constraint.parse(constraint).allows(Version.parse(version)) is allowed


def test_precedence_follows_semver_2() -> None:
    ordered = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0"]
    assert sorted(Version.parse(v) for v in reversed(ordered)) == [
        Version.parse(v) for v in ordered]


def test_best_match_takes_the_highest_allowed_and_skips_prereleases() -> None:
    assert str(best_match("^1.0", ["1.0.0", "1.5.2", "2.0.0", "1.6.0-rc1", "junk"])) == "1.5.2"
    assert best_match(">5", ["1.0.0"]) is None


@pytest.mark.parametrize("text", ["1.2", "~>", ">=1.2 <", "abc"])
def test_bad_constraints_are_errors(text: str) -> None:
    if text == "1.2":  # a short version is a valid constraint
        Constraint.parse(text)
        return
    with pytest.raises(SemverError):
        Constraint.parse(text)


def test_strict_validity_for_chart_versions() -> None:
    assert is_valid("1.2.3-rc.1+build")
    assert not is_valid("1.2")
    assert not is_valid("01.2.3")
