"""Times as Helm prints them: Go's ``Time.String()`` in ``list``, ANSIC in ``history``
tables and ``status``, RFC 3339 in JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
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


# Go's reference-time chunks, longest first where one is a prefix of another
_GO_CHUNK = re.compile(
    r"January|Jan|Monday|Mon|2006|Z07:00|Z0700|Z07|-07:00|-0700|-07|MST|PM|pm"
    r"|[.,](?:0+|9+)(?![0-9])|002|06|01|02|_2|15|03|04|05|1|2|3|4|5")


def go_format(value: datetime | None, layout: str) -> str:
    """``value`` (in UTC) formatted with a Go time layout, as ``--time-format`` takes."""
    if value is None:
        return ""
    value = value.astimezone(UTC)

    def chunk(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in ".," and len(token) > 1:
            digits = f"{value.microsecond:06d}000"[:len(token) - 1]
            if token[1] == "9":
                digits = digits.rstrip("0")
                return token[0] + digits if digits else ""
            return token[0] + digits
        return _GO_FIELDS[token](value)

    return _GO_CHUNK.sub(chunk, layout)


_GO_FIELDS: dict[str, Callable[[datetime], str]] = {
    "January": lambda v: v.strftime("%B"), "Jan": lambda v: v.strftime("%b"),
    "Monday": lambda v: v.strftime("%A"), "Mon": lambda v: v.strftime("%a"),
    "2006": lambda v: f"{v.year:04d}", "06": lambda v: f"{v.year % 100:02d}",
    "01": lambda v: f"{v.month:02d}", "1": lambda v: str(v.month),
    "02": lambda v: f"{v.day:02d}", "_2": lambda v: f"{v.day:>2}", "2": lambda v: str(v.day),
    "002": lambda v: f"{v.timetuple().tm_yday:03d}",
    "15": lambda v: f"{v.hour:02d}", "03": lambda v: f"{(v.hour % 12) or 12:02d}",
    "3": lambda v: str((v.hour % 12) or 12), "04": lambda v: f"{v.minute:02d}",
    "4": lambda v: str(v.minute), "05": lambda v: f"{v.second:02d}",
    "5": lambda v: str(v.second), "PM": lambda v: "PM" if v.hour >= 12 else "AM",
    "pm": lambda v: "pm" if v.hour >= 12 else "am", "MST": lambda v: "UTC",
    "Z07:00": lambda v: "Z", "Z0700": lambda v: "Z", "Z07": lambda v: "Z",
    "-07:00": lambda v: "+00:00", "-0700": lambda v: "+0000", "-07": lambda v: "+00",
}
