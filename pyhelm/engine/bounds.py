"""What one expression of a chart may make, checked before it is made.

A render is bounded as a whole (time, total output), but a single operation can
allocate gigabytes before any such check runs: ``'%0500000000d' % 1``,
``'a'.center(500000000)``, ``'x'|indent(500000000)``, ``s.replace('a', 'b' * 6000000)``,
``[1] * 60000000``, ``((10**1000)**1000)**1000``. Each of these is refused here, from
the sizes of its operands, with the sandbox's SecurityError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

from jinja2.exceptions import SecurityError

MAX_ITEMS = 1_000_000  # a list or tuple made by repetition (charts need far fewer)
_PRINTF_SIZES = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")
_FORMAT_SIZES = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")


def _refuse(what: str, cap: int) -> SecurityError:
    return SecurityError(f"{what} would produce more than {cap} characters")


def check_repetition(left: Any, right: Any, cap: int) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(count, int) and not isinstance(count, bool):
            if isinstance(seq, str) and len(seq) * count > cap:
                raise _refuse("repetition", cap)
            if isinstance(seq, (list, tuple)) and len(seq) * count > MAX_ITEMS:
                raise SecurityError(f"repetition would make more than {MAX_ITEMS} items")


def check_power(left: Any, right: Any, cap: int) -> None:
    """An integer power's size in bits is about bit_length(left) * right."""
    if isinstance(left, int) and isinstance(right, int) and right > 0 and \
            max(abs(left), 1).bit_length() * right > cap * 8:
        raise SecurityError(f"the power would be larger than {cap} bytes")


def check_printf(template: Any, cap: int) -> None:
    """Widths and precisions of a %-format (``'%0500000000d' % 1``)."""
    if isinstance(template, str):
        for width, precision in _PRINTF_SIZES.findall(template):
            if any(part.isdigit() and int(part) > cap for part in (width, precision)):
                raise _refuse("the format", cap)


def check_format_spec(template: str, cap: int) -> None:
    """Widths and precisions of a str.format template (``'{:>500000000}'``)."""
    for width, precision in _FORMAT_SIZES.findall(template):
        if any(part and int(part) > cap for part in (width, precision)):
            raise _refuse("the format", cap)


def check_str_method(text: str, name: str, args: tuple[Any, ...], cap: int) -> None:
    """The str methods whose result can outgrow their arguments by far."""
    if name in ("center", "ljust", "rjust", "zfill") and args and \
            isinstance(args[0], int) and args[0] > cap:
        raise _refuse(f"str.{name}", cap)
    if name == "expandtabs" and len(text) * (args[0] if args and isinstance(args[0], int)
                                              else 8) > cap:
        raise _refuse("str.expandtabs", cap)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and \
            isinstance(args[1], str):
        count = text.count(args[0]) if args[0] else len(text) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        if len(text) + count * (len(args[1]) - len(args[0])) > cap:
            raise _refuse("str.replace", cap)
    if name in ("format", "format_map"):
        check_format_spec(text, cap)


def bound_filters(filters: MutableMapping[str, Callable[..., Any]], cap: int) -> None:
    """Wrap the filters that take a width (indent, nindent, center) or a %-format."""
    def width_checked(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def checked(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
            if isinstance(width, int) and (width > cap or
                                           width * (str(value).count("\n") + 1) > cap):
                raise _refuse(name, cap)
            return function(value, width, *args, **kwargs)
        return checked

    for name in ("indent", "nindent", "center"):
        if name in filters:
            filters[name] = width_checked(name, filters[name])
    if "format" in filters:
        printf = filters["format"]

        def format_checked(value: Any, *args: Any, **kwargs: Any) -> Any:
            check_printf(value, cap)
            return printf(value, *args, **kwargs)
        filters["format"] = format_checked
