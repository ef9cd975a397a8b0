"""Semantic versions and version constraints as Helm reads them (Masterminds/semver
v3.5.0, the release Helm 4.3.1 links).

``Version.parse`` is Masterminds' ``NewVersion``: a leading ``v``, missing minor or patch
and leading zeros in the numbers are accepted (``1``, ``v1.2``, ``01.2.3``); nothing else
is (no blanks around it). ``Version.parse(strict=True)`` is ``StrictNewVersion``: exactly
``MAJOR.MINOR.PATCH[-PRE][+BUILD]``. ``Constraint.parse`` is ``NewConstraint``: ``=``,
``!=``, ``>``, ``<``, ``>=``/``=>``, ``<=``/``=<``, ``~``/``~>``, ``^``, wildcards
(``1.2.x``, ``*``) and partial versions, hyphen ranges (``1.2 - 1.4.5``), a comma or
blanks for AND and ``||`` for OR. A prerelease satisfies an AND group only when one of
its comparators names a prerelease (or ``include_prerelease``). Errors are Masterminds'.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import total_ordering

MAX_VERSION_LENGTH = 256
MAX_CONSTRAINT_LENGTH = 512
MAX_CONSTRAINT_GROUPS = 32
_UINT64_MAX = 2**64 - 1
_LOOSE = (r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
          r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?")
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
# Go's \s, $ and \d: ASCII blanks, the very end, ASCII digits
_S = r"[\t\n\f\r ]"
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CV = (r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
       r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?")
_PATTERNS = {
    "loose": rf"\A{_LOOSE}\Z",
    "one": rf"\A{_S}*({_OPS}){_S}*({_CV}){_S}*\Z",
    "range": rf"{_S}*({_CV}){_S}+-{_S}+({_CV}){_S}*",
    "find": rf"({_OPS}){_S}*({_CV})",
    "valid": rf"\A({_S}*({_OPS}){_S}*({_CV}){_S}*)((?:{_S}+|,{_S}*)({_OPS}){_S}*({_CV}){_S}*)*\Z",
}
_RANGE_END_GROUP = 11  # the second version of a range: after the first one's 10 groups


@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    """Compiled on first use: these are large, and most commands never need them."""
    return re.compile(_PATTERNS[name])


class SemverError(ValueError):
    """A version or constraint that does not parse."""


def _uint(text: str, context: str = "") -> int:
    """Go's strconv.ParseUint (base 10, 64 bits)."""
    digits = text.isascii() and text.isdigit()
    if not digits or int(text) > _UINT64_MAX:
        reason = "value out of range" if digits else "invalid syntax"
        raise SemverError(f'{context}strconv.ParseUint: parsing "{text}": {reason}')
    return int(text)


def _check_prerelease(text: str) -> None:
    for part in text.split("."):
        if not part or not set(part) <= _ALLOWED:
            raise SemverError("invalid prerelease string")
        if part.isdigit() and len(part) > 1 and part[0] == "0":
            raise SemverError("version segment starts with 0")


def _check_metadata(text: str) -> None:
    if any(not part or not set(part) <= _ALLOWED for part in text.split(".")):
        raise SemverError("invalid metadata string")


def _compare_part(mine: str, other: str) -> int:
    """Masterminds' comparePrePart: numbers below words, a missing part lowest."""
    if mine == other:
        return 0
    if not mine or not other:
        return -1 if not mine else 1
    numbers = [p.isascii() and p.isdigit() and int(p) <= _UINT64_MAX for p in (mine, other)]
    if numbers == [True, True]:
        return -1 if int(mine) < int(other) else 1
    if numbers == [False, False]:
        return 1 if mine > other else -1
    return -1 if numbers[0] else 1


def _compare_prerelease(mine: tuple[str, ...], other: tuple[str, ...]) -> int:
    for index in range(max(len(mine), len(other))):
        found = _compare_part(mine[index] if index < len(mine) else "",
                              other[index] if index < len(other) else "")
        if found:
            return found
    return 0


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version, compared as Masterminds/semver compares them."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = field(default="", compare=False)
    original: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str, *, strict: bool = False) -> Version:
        text = str(text)
        if len(text.encode()) > MAX_VERSION_LENGTH:
            raise SemverError(f"version string is too long (max {MAX_VERSION_LENGTH} bytes)")
        return cls._strict(text) if strict else cls._loose(text)

    @classmethod
    def _loose(cls, text: str) -> Version:
        match = _pattern("loose").match(text)
        if not match:
            raise SemverError("invalid semantic version")
        major, minor, patch, pre, build = (match.group(i) or "" for i in (1, 2, 3, 5, 8))
        numbers = [_uint(number, "error parsing version segment: ")
                   for number in (major, minor[1:] or "0", patch[1:] or "0")]
        if pre:
            _check_prerelease(pre)
        if build:
            _check_metadata(build)
        return cls(numbers[0], numbers[1], numbers[2], tuple(pre.split(".")) if pre else (),
                   build, text)

    @classmethod
    def _strict(cls, text: str) -> Version:
        if not text:
            raise SemverError("version string empty")
        parts = text.split(".", 2)
        if len(parts) != 3:
            raise SemverError("invalid semantic version")
        parts[2], plus, build = parts[2].partition("+")
        if plus:
            _check_metadata(build)
        parts[2], hyphen, pre = parts[2].partition("-")
        if hyphen:
            _check_prerelease(pre)
        for part in parts:
            if not set(part) <= set("0123456789"):
                raise SemverError("invalid characters in version")
            if len(part) > 1 and part[0] == "0":
                raise SemverError("version segment starts with 0")
        major, minor, patch = (_uint(part) for part in parts)
        return cls(major, minor, patch, tuple(pre.split(".")) if pre else (), build, text)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 (Masterminds' Compare; build metadata is ignored)."""
        for mine, theirs in ((self.major, other.major), (self.minor, other.minor),
                             (self.patch, other.patch)):
            if mine != theirs:
                return -1 if mine < theirs else 1
        if not self.prerelease or not other.prerelease:
            return (not self.prerelease) - (not other.prerelease)
        return _compare_prerelease(self.prerelease, other.prerelease)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.prerelease))

    def release(self) -> Version:
        return Version(self.major, self.minor, self.patch)


def is_valid(text: str) -> bool:
    """True for a strict SemVer 2 version (Masterminds' StrictNewVersion: no ``v``)."""
    try:
        Version.parse(text, strict=True)
    except SemverError:
        return False
    return True


def is_loose_valid(text: str) -> bool:
    """True for what Masterminds' NewVersion accepts: Chart.yaml's rule in Helm (``1``,
    ``1.0``, ``v1.2.3``, ``1.2-beta.5``; not ``1.0.0-01``)."""
    try:
        Version.parse(text)
    except SemverError:
        return False
    return True


def is_wildcard(part: str) -> bool:
    return part in ("x", "X", "*")


def _quoted(version: Version) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class Comparator:
    """One operator and the version it compares with, whose missing or wildcard parts
    make it "dirty" (``1.x``: minor_dirty; ``1.2``: patch_dirty; ``*``: dirty only).
    ``op`` and ``orig`` are as written (``=>`` and ``1.2``)."""

    op: str
    orig: str
    edge: Version
    dirty: bool = False
    minor_dirty: bool = False
    patch_dirty: bool = False

    @classmethod
    def parse(cls, text: str) -> Comparator:
        """Masterminds' parseConstraint (an empty text is ``*``)."""
        if not text:
            return cls("", "", Version(0, 0, 0), dirty=True)
        match = _pattern("one").match(text)
        if not match:
            raise SemverError(f'improper constraint: "{text}"')
        op, orig, major, minor, patch, pre = match.group(1, 2, 3, 4, 5, 6)
        minor, patch, pre = minor or "", patch or "", pre or ""
        if is_wildcard(major) or not major:
            edge, flags = f"0.0.0{pre}", {"dirty": True}
        elif is_wildcard(minor[1:]) or not minor:
            edge, flags = f"{major}.0.0{pre}", {"dirty": True, "minor_dirty": True}
        elif is_wildcard(patch[1:]) or not patch:
            edge, flags = f"{major}{minor}.0{pre}", {"dirty": True, "patch_dirty": True}
        else:
            edge, flags = orig, {}
        try:
            version = Version.parse(edge)
        except SemverError:
            raise SemverError("constraint parser error") from None
        return cls(op, orig, version, **flags)

    def check(self, version: Version, include_prerelease: bool) -> str | None:
        """None when ``version`` passes, else Masterminds' reason."""
        if version.prerelease and not include_prerelease:
            return (f"{_quoted(version)} is a prerelease version and the constraint is only "
                    "looking for release versions")
        return _CHECKS[_ALIASES.get(self.op, self.op)](self, version)

    def __str__(self) -> str:
        return self.op + self.orig


def _fail(c: Comparator, v: Version, relation: str) -> str:
    return f'{_quoted(v)} {relation} "{c.orig}"'


def _not_equal(c: Comparator, v: Version) -> str | None:
    e = c.edge
    if c.dirty:
        if e.major != v.major:
            return None
        if e.minor != v.minor and not c.minor_dirty:
            return None
        if c.minor_dirty:
            return _fail(c, v, "is equal to")
        if e.patch != v.patch and not c.patch_dirty:
            return None
        if c.patch_dirty:
            if (v.prerelease or e.prerelease) and \
                    _compare_prerelease(v.prerelease, e.prerelease) != 0:
                return None
            return _fail(c, v, "is equal to")
    return _fail(c, v, "is equal to") if v == e else None


def _greater(c: Comparator, v: Version) -> str | None:
    e = c.edge
    if c.dirty and v.major != e.major:
        passes = v.major > e.major
    elif c.dirty and c.minor_dirty:
        passes = False
    elif c.dirty and c.patch_dirty:
        passes = v.minor > e.minor
    else:
        passes = v.compare(e) == 1
    return None if passes else _fail(c, v, "is less than or equal to")


def _less(c: Comparator, v: Version) -> str | None:
    return None if v < c.edge else _fail(c, v, "is greater than or equal to")


def _greater_equal(c: Comparator, v: Version) -> str | None:
    return None if v >= c.edge else _fail(c, v, "is less than")


def _less_equal(c: Comparator, v: Version) -> str | None:
    e = c.edge
    if not c.dirty:
        passes = v <= e
    else:
        passes = not (v.major > e.major or
                      (v.major == e.major and v.minor > e.minor and not c.minor_dirty))
    return None if passes else _fail(c, v, "is greater than")


def _tilde(c: Comparator, v: Version) -> str | None:
    e = c.edge
    if v < e:
        return _fail(c, v, "is less than")
    if (e.major, e.minor, e.patch) == (0, 0, 0) and not (c.minor_dirty or c.patch_dirty):
        return None
    if v.major != e.major:
        return _fail(c, v, "does not have same major version as")
    if v.minor != e.minor and not c.minor_dirty:
        return _fail(c, v, "does not have same major and minor version as")
    return None


def _tilde_or_equal(c: Comparator, v: Version) -> str | None:
    if c.dirty:
        return _tilde(c, v)
    return None if v == c.edge else _fail(c, v, "is not equal to")


def _caret(c: Comparator, v: Version) -> str | None:
    e = c.edge
    if v < e:
        return _fail(c, v, "is less than")
    if e.major > 0 or c.minor_dirty:
        return None if v.major == e.major else _fail(c, v, "does not have same major version as")
    if v.major > 0:
        return _fail(c, v, "does not have same major version as")
    if e.minor > 0 or c.patch_dirty:
        return None if v.minor == e.minor else _fail(
            c, v, "does not have same minor version as") + (
            ". Expected minor versions to match when constraint major version is 0")
    if v.minor > 0:
        return _fail(c, v, "does not have same minor version as")
    return None if v.patch == e.patch else _fail(c, v, "does not equal") + (
        ". Expect version and constraint to equal when major and minor versions are 0")


_CHECKS: dict[str, Callable[[Comparator, Version], str | None]] = {
    "": _tilde_or_equal, "!=": _not_equal, ">": _greater, "<": _less, ">=": _greater_equal,
    "<=": _less_equal, "~": _tilde, "^": _caret,
}
_ALIASES = {"=": "", "=>": ">=", "=<": "<=", "~>": "~"}


def rewrite_range(text: str) -> str:
    """Masterminds' rewriteRange: ``1 - 2`` becomes ``>= 1, <= 2 ``."""
    for match in list(_pattern("range").finditer(text)):
        text = text.replace(match.group(0), f">= {match.group(1)}, <= "
                                             f"{match.group(_RANGE_END_GROUP)} ", 1)
    return text


@dataclass(frozen=True)
class Constraint:
    """An OR (``||``) of AND groups of comparators, as Masterminds' ``NewConstraint``
    reads them. ``text`` is the constraint as given; ``str()`` is Masterminds' String."""

    alternatives: tuple[tuple[Comparator, ...], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Constraint:
        source = str(text)
        if len(source.encode()) > MAX_CONSTRAINT_LENGTH:
            raise SemverError(f"constraint string is too long (max {MAX_CONSTRAINT_LENGTH} "
                              "bytes)")
        groups = rewrite_range(source).split("||")
        if len(groups) > MAX_CONSTRAINT_GROUPS:
            raise SemverError(f"too many constraint groups (max {MAX_CONSTRAINT_GROUPS})")
        alternatives = []
        for group in groups:
            if not _pattern("valid").match(group):
                raise SemverError(f'improper constraint: "{group}"')
            alternatives.append(tuple(Comparator.parse(found.group(0))
                                      for found in _pattern("find").finditer(group)))
        return cls(tuple(alternatives), source)

    def allows(self, version: Version, include_prerelease: bool = False) -> bool:
        return any(all(c.check(version, include_prerelease or self._names_prerelease(group))
                       is None for c in group) for group in self.alternatives)

    def validate(self, version: Version, include_prerelease: bool = False
                 ) -> tuple[bool, list[str]]:
        """Whether ``version`` is allowed and, if not, every reason (Masterminds'
        Validate: a prerelease the constraint does not look for is named once)."""
        reasons: list[str] = []
        prerelease_named = False
        for group in self.alternatives:
            include = include_prerelease or self._names_prerelease(group)
            passes = True
            for comparator in group:
                if version.prerelease and not include:
                    if not prerelease_named:
                        reasons.append(f"{_quoted(version)} is a prerelease version and the "
                                       "constraint is only looking for release versions")
                        prerelease_named = True
                    passes = False
                elif (reason := comparator.check(version, include)) is not None:
                    reasons.append(reason)
                    passes = False
            if passes:
                return True, []
        return False, reasons

    @staticmethod
    def _names_prerelease(group: tuple[Comparator, ...]) -> bool:
        return any(c.edge.prerelease for c in group)

    def __str__(self) -> str:
        return " || ".join(" ".join(str(c) for c in group) for group in self.alternatives)


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
