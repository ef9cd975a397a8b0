"""Semantic versions and Helm's version constraints (Masterminds/semver v3 rules).

``Version.parse`` accepts SemVer 2 with Masterminds' leniency (a leading ``v``, missing
minor/patch when ``strict=False``). ``Constraint.parse`` understands ``=``, ``!=``,
``>``, ``<``, ``>=``, ``<=``, ``~``, ``^``, wildcards (``1.2.x``, ``*``), hyphen ranges
(``1.2 - 1.4.5``), ``,`` or space for AND and ``||`` for OR. A prerelease version only
satisfies a constraint whose own comparators carry a prerelease, as in Masterminds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering

_STRICT_PATTERN = (
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_LOOSE_PATTERN = (
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    """Compiled on first use: these are large, and most commands never need them."""
    return re.compile(text)


class SemverError(ValueError):
    """A version or constraint that does not parse."""


def _prerelease_key(pre: tuple[str, ...]) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str, *, strict: bool = False) -> Version:
        text = str(text).strip()
        match = _pattern(_STRICT_PATTERN if strict else _LOOSE_PATTERN).match(text)
        if not match:
            raise SemverError(f'"{text}" is not a valid SemVer 2 version')
        major, minor, patch, pre, build = match.groups()
        return cls(int(major), int(minor or 0), int(patch or 0),
                   tuple(pre.split(".")) if pre else (), build or "")

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # a release sorts after its prereleases
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1,
                _prerelease_key(self.prerelease))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def release(self) -> Version:
        return Version(self.major, self.minor, self.patch)


def is_valid(text: str) -> bool:
    """True for a strict SemVer 2 version (Chart.yaml's rule)."""
    return bool(_pattern(_STRICT_PATTERN).match(str(text).strip()))


_WILD = {"x", "X", "*"}
_COMPARATOR_PATTERN = (r"^(=|!=|>=|<=|>|<|~>|~|\^)?\s*v?((?:\d+|[xX*])(?:\.(?:\d+|[xX*])){0,2}"
                         r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$")


@dataclass(frozen=True)
class _Bound:
    """One half-open check: version OP edge."""

    op: str
    edge: Version

    def allows(self, version: Version) -> bool:
        v, e = version, self.edge
        return {"=": v == e, "!=": v != e, ">": v > e, "<": v < e,
                ">=": v >= e, "<=": v <= e}[self.op]


@dataclass(frozen=True)
class _Comparator:
    bounds: tuple[_Bound, ...]
    has_prerelease: bool
    text: str

    def allows(self, version: Version) -> bool:
        if version.prerelease and not self.has_prerelease:
            return False
        return all(b.allows(version) for b in self.bounds)


def _parts(text: str) -> tuple[list[int | None], tuple[str, ...]]:
    core, _, pre = text.split("+")[0].partition("-")
    numbers: list[int | None] = [None if p in _WILD else int(p) for p in core.split(".")]
    while len(numbers) < 3:
        numbers.append(None)
    # a wildcard swallows everything after it (1.x.3 means 1.x)
    for i, n in enumerate(numbers):
        if n is None:
            numbers[i:] = [None] * (3 - i)
            break
    return numbers, tuple(pre.split(".")) if pre else ()


def _comparator(op: str, text: str) -> _Comparator:
    numbers, pre = _parts(text)
    major, minor, patch = numbers
    low = Version(major or 0, minor or 0, patch or 0, pre)
    has_pre = bool(pre)

    def bound(o: str, v: Version) -> tuple[_Bound, ...]:
        return (_Bound(o, v),)

    if major is None:  # '*' or 'x': everything, or nothing for '<*' and '!=*'
        matches_nothing = op in ("<", "!=")
        return _Comparator(bound("<", Version(0, 0, 0)) if matches_nothing else (), has_pre, text)
    upper_minor = Version(major, (minor or 0) + 1, 0, ("0",))
    upper_major = Version(major + 1, 0, 0, ("0",))
    wildcard_upper = upper_major if minor is None else upper_minor if patch is None else None
    if op in ("", "="):
        if wildcard_upper:
            return _Comparator((_Bound(">=", low), _Bound("<", wildcard_upper)), has_pre, text)
        return _Comparator(bound("=", low), has_pre, text)
    if op == "!=":
        if wildcard_upper:  # outside the wildcard range: expressed by the caller as OR
            raise SemverError(f'"!={text}": a wildcard cannot be negated')
        return _Comparator(bound("!=", low), has_pre, text)
    if op in ("~", "~>"):
        upper = upper_major if minor is None else upper_minor
        return _Comparator((_Bound(">=", low), _Bound("<", upper)), has_pre, text)
    if op == "^":
        if major > 0 or minor is None:
            upper = upper_major
        elif (minor or 0) > 0 or patch is None:
            upper = upper_minor
        else:
            upper = Version(0, 0, (patch or 0) + 1, ("0",))
        return _Comparator((_Bound(">=", low), _Bound("<", upper)), has_pre, text)
    if op == ">" and wildcard_upper:
        return _Comparator(bound(">=", wildcard_upper), has_pre, text)
    if op == "<=" and wildcard_upper:
        return _Comparator(bound("<", wildcard_upper), has_pre, text)
    return _Comparator(bound(op, low), has_pre, text)


@dataclass(frozen=True)
class Constraint:
    """An OR of ANDs of comparators."""

    alternatives: tuple[tuple[_Comparator, ...], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Constraint:
        source = str(text).strip()
        if not source:
            raise SemverError("an empty version constraint")
        alternatives = []
        for group in source.split("||"):
            group = re.sub(r"\s+-\s+", " - ", group.strip())
            group = re.sub(r"(=|!=|>=|<=|>|<|~>|~|\^)\s+", r"\1", group)
            tokens = [t for t in re.split(r"[\s,]+", group) if t]
            comparators: list[_Comparator] = []
            i = 0
            while i < len(tokens):
                if i + 2 < len(tokens) and tokens[i + 1] == "-":
                    low, high = tokens[i], tokens[i + 2]
                    comparators += [_comparator(">=", low), _comparator("<=", high)]
                    i += 3
                    continue
                match = _pattern(_COMPARATOR_PATTERN).match(tokens[i])
                if not match:
                    raise SemverError(f'"{source}" is not a valid version constraint '
                                      f'(at "{tokens[i]}")')
                comparators.append(_comparator(match.group(1) or "", match.group(2)))
                i += 1
            if not comparators:
                raise SemverError(f'"{source}" is not a valid version constraint')
            alternatives.append(tuple(comparators))
        return cls(tuple(alternatives), source)

    def allows(self, version: Version) -> bool:
        return any(all(c.allows(version) for c in group) for group in self.alternatives)

    def __str__(self) -> str:
        return self.text


def best_match(constraint: Constraint | str, versions: Iterable[Version | str]
               ) -> Version | None:
    """The highest version the constraint allows (unparseable versions are passed over)."""
    if isinstance(constraint, str):
        constraint = Constraint.parse(constraint)
    best: Version | None = None
    for candidate in versions:
        try:
            version = candidate if isinstance(candidate, Version) else Version.parse(candidate)
        except SemverError:
            continue
        if constraint.allows(version) and (best is None or version > best):
            best = version
    return best
