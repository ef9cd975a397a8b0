"""Semantic versions and Helm's version constraints (Masterminds/semver v3 rules).

``Version.parse`` accepts SemVer 2 with Masterminds' leniency (a leading ``v``, missing
minor/patch when ``strict=False``). ``Constraint.parse`` reads constraints as
Masterminds' ``NewConstraint`` does and ``allows`` decides as its ``Check``: ``=``, ``!=``,
``>``, ``<``, ``>=``/``=>``, ``<=``/``=<``, ``~``/``~>``, ``^``, wildcards (``1.2.x``,
``*``) and partial versions, hyphen ranges (``1.2 - 1.4.5``), ``,`` or space for AND and
``||`` for OR. A prerelease version satisfies an AND group only when one of the group's
comparators names a prerelease. Tested against Helm's own ``semverCompare``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
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
        for part in (pre or "").split(".") if pre else ():
            if part.isdigit() and len(part) > 1 and part[0] == "0":
                raise SemverError(f'"{text}" is not a valid SemVer 2 version (prerelease '
                                  f'"{part}" has a leading zero)')
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
    """True for a strict SemVer 2 version."""
    return bool(_pattern(_STRICT_PATTERN).match(str(text).strip()))


def is_loose_valid(text: str) -> bool:
    """True for what Masterminds' NewVersion accepts: Chart.yaml's rule in Helm (``1``,
    ``1.0``, ``v1.2.3``, ``1.2-beta.5``; not ``1.0.0-01``)."""
    try:
        Version.parse(text)
    except SemverError:
        return False
    return True


_WILD = {"x", "X", "*"}
# Masterminds' operator alternation, in its order (the empty operator means "=")
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CV = (r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
       r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?")
_CV_PLAIN = _CV.replace("(", "(?:").replace("(?:?:", "(?:")
_RANGE = rf"\s*({_CV_PLAIN})\s+-\s+({_CV_PLAIN})\s*"
_ONE = rf"^\s*({_OPS})\s*({_CV})\s*$"
_FIND = rf"(?:{_OPS})\s*(?:{_CV_PLAIN})"
_VALID = rf"^(\s*(?:{_OPS})\s*(?:{_CV_PLAIN})\s*)((?:\s+|,\s*)(?:{_OPS})\s*(?:{_CV_PLAIN})\s*)*$"


@dataclass(frozen=True)
class _Comparator:
    """One comparator: an operator and an edge version whose missing or wildcard parts
    make it "dirty" (``1.x``: minor_dirty; ``1.2``: patch_dirty; ``*``: dirty only)."""

    op: str
    edge: Version
    dirty: bool = False
    minor_dirty: bool = False
    patch_dirty: bool = False

    def allows(self, v: Version, include_prerelease: bool) -> bool:
        if v.prerelease and not include_prerelease:
            return False
        return _CHECKS[self.op](self, v)


def _not_equal(c: _Comparator, v: Version) -> bool:
    e = c.edge
    if c.dirty:
        if e.major != v.major:
            return True
        if e.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if e.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            return (bool(v.prerelease or e.prerelease)
                    and _prerelease_key(v.prerelease) != _prerelease_key(e.prerelease))
    return v != e


def _greater(c: _Comparator, v: Version) -> bool:
    e = c.edge
    if not c.dirty:
        return v > e
    if v.major != e.major:
        return v.major > e.major
    if c.minor_dirty:
        return False
    if c.patch_dirty:
        return v.minor > e.minor
    return v > e


def _less_equal(c: _Comparator, v: Version) -> bool:
    e = c.edge
    if not c.dirty:
        return v <= e
    if v.major > e.major:
        return False
    return not (v.major == e.major and v.minor > e.minor and not c.minor_dirty)


def _tilde(c: _Comparator, v: Version) -> bool:
    e = c.edge
    if v < e:
        return False
    if (e.major, e.minor, e.patch) == (0, 0, 0) and not (c.minor_dirty or c.patch_dirty):
        return True
    return v.major == e.major and (v.minor == e.minor or c.minor_dirty)


def _caret(c: _Comparator, v: Version) -> bool:
    e = c.edge
    if v < e:
        return False
    if e.major > 0 or c.minor_dirty:
        return v.major == e.major
    if v.major > 0:
        return False
    if e.minor > 0 or c.patch_dirty:
        return v.minor == e.minor
    return v.minor == 0 and v.patch == e.patch


_CHECKS: dict[str, Callable[[_Comparator, Version], bool]] = {
    "": lambda c, v: _tilde(c, v) if c.dirty else v == c.edge,
    "!=": _not_equal, ">": _greater, "<": lambda c, v: v < c.edge,
    ">=": lambda c, v: v >= c.edge, "<=": _less_equal, "~": _tilde, "^": _caret,
}
_ALIASES = {"=": "", "=>": ">=", "=<": "<=", "~>": "~"}


def _comparator(text: str, source: str) -> _Comparator:
    match = _pattern(_ONE).match(text)
    if not match:
        raise SemverError(f'"{source}" is not a valid version constraint (at "{text}")')
    op, _, major, minor, patch, pre = match.groups()[:6]
    pre = pre or ""
    flags: dict[str, bool] = {}
    if major in _WILD or not major:
        edge, flags = f"0.0.0{pre}", {"dirty": True}
    elif not minor or minor[1:] in _WILD:
        edge, flags = f"{major}.0.0{pre}", {"dirty": True, "minor_dirty": True}
    elif not patch or patch[1:] in _WILD:
        edge, flags = f"{major}{minor}.0{pre}", {"dirty": True, "patch_dirty": True}
    else:
        edge = f"{major}{minor}{patch}{pre}"
    return _Comparator(_ALIASES.get(op, op), Version.parse(edge), **flags)


@dataclass(frozen=True)
class Constraint:
    """An OR (``||``) of AND groups (space or comma) of comparators, as Masterminds'
    ``NewConstraint`` reads them; a prerelease version satisfies a group only when one of
    the group's comparators names a prerelease."""

    alternatives: tuple[tuple[_Comparator, ...], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Constraint:
        source = str(text).strip()
        rewritten = _pattern(_RANGE).sub(lambda m: f">= {m.group(1)}, <= {m.group(2)} ",
                                         source)
        alternatives = []
        for group in rewritten.split("||"):
            if not _pattern(_VALID).match(group):
                raise SemverError(f'"{source}" is not a valid version constraint')
            alternatives.append(tuple(_comparator(found.group(0), source)
                                      for found in _pattern(_FIND).finditer(group)))
        return cls(tuple(alternatives), source)

    def allows(self, version: Version) -> bool:
        for group in self.alternatives:
            include_pre = any(c.edge.prerelease for c in group)
            if all(c.allows(version, include_pre) for c in group):
                return True
        return False

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
