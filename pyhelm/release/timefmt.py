"""Times as Helm prints them: Go's ``Time.String()`` in ``list``, ANSIC in ``history``
tables and ``status``, RFC 3339 in JSON."""

from __future__ import annotations

from datetime import UTC, datetime


def go_string(value: datetime | None) -> str:
    """``2026-11-24 12:49:05.730348 +0000 UTC``."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    fraction = f".{value.microsecond:06d}".rstrip("0").rstrip(".")
    return value.strftime("%Y-%m-%d %H:%M:%S") + fraction + " +0000 UTC"


def ansic(value: datetime | None) -> str:
    """``Tue Nov 24 12:49:05 2026`` (Go's time.ANSIC, day padded with a space)."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    return value.strftime("%a %b ") + f"{value.day:>2}" + value.strftime(" %H:%M:%S %Y")
