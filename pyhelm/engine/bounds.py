"""What one expression of a chart may make, checked before it is made.

A render is bounded as a whole (time, memory, total output: ``deadline``), but a single
operation runs in C and can allocate gigabytes before any such check runs:
``'%0500000000d' % 1``, ``'a'.center(500000000)``, ``'x'|indent(500000000)``,
``s.replace('a', 'b' * 6000000)``, ``[1] * 60000000``, ``((10**1000)**1000)**1000``,
``sep.join(items)``. Each is refused here, from the sizes of its operands, with the
sandbox's SecurityError.

Containers are the other way: a list may hold the same 60 MB string a million times
(``[s] * 1000000``, nested literals, namespaces) while costing almost nothing, and
turning it into text (printing it, ``|string``, ``~``, ``%``, ``format``, ``join``, any
filter) makes all of it at once. ``text_size`` estimates that text before it is made.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import Namespace

MAX_ITEMS = 1_000_000  # a list or tuple made by repetition (charts need far fewer)
_PRINTF_SIZES = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")
# [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?")


def _refuse(what: str, cap: int) -> SecurityError:
    return SecurityError(f"{what} would produce more than {cap} characters")


CONTAINERS = (Mapping, list, tuple, set, frozenset, Namespace)
_PLAIN = frozenset({str, int, float, bool, type(None)})  # never hold anything shared


def text_size(value: Any, limit: int) -> int:
    """About ``len(str(value))`` (an upper estimate for what templates can build),
    without making the text; counting stops once past ``limit``. Every occurrence of an
    object shared many times counts, as it does in the text."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, (bytes, bytearray)):
            total += 4 * len(item) + 3
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, Namespace):
            total += 16
            stack.append(item._Namespace__attrs)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 64
        if total > limit:
            break
    return total


def check_text(value: Any, cap: int, what: str) -> None:
    """Refuse turning a container into more than ``cap`` characters of text."""
    if type(value) not in _PLAIN and isinstance(value, CONTAINERS) and \
            text_size(value, cap) > cap:
        raise _refuse(what, cap)


def check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int,
                    what: str) -> None:
    for value in args:
        if type(value) not in _PLAIN:
            check_text(value, cap, what)
    for value in kwargs.values():
        if type(value) not in _PLAIN:
            check_text(value, cap, what)


def check_join(separator: Any, items: Any, cap: int) -> None:
    """``separator.join(items)`` and ``items|join(separator)``."""
    if not isinstance(items, CONTAINERS):
        return
    count = len(items) if not isinstance(items, Namespace) else 0
    size = len(str(separator)) * max(count - 1, 0) if isinstance(separator, str) else 0
    if size > cap or size + text_size(items, cap) > cap:
        raise _refuse("join", cap)


def _arguments_size(values: Any, cap: int) -> int:
    """The text of a format's arguments: strings as they are, containers estimated."""
    size = 0
    for value in values:
        size += len(value) if isinstance(value, str) else \
            text_size(value, cap) if isinstance(value, CONTAINERS) else 0
        if size > cap:
            break
    return size


def _largest_size(values: Any, cap: int) -> int:
    return max((_arguments_size((value,), cap) for value in values), default=0)


def check_concatenation(parts: tuple[Any, ...], cap: int, what: str) -> None:
    """``a ~ b`` and ``a + b``: the strings' lengths and the containers' text added up."""
    if _arguments_size(parts, cap) > cap:
        raise _refuse(what, cap)


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


def _star_sizes(arguments: Any) -> int:
    """What ``*`` widths may take from the arguments: every integer among them."""
    values = arguments if isinstance(arguments, tuple) else (arguments,)
    return sum(abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool))


def check_printf(template: Any, cap: int, arguments: Any = ()) -> None:
    """Widths and precisions of a %-format (``'%0500000000d' % 1``), added up over
    every placeholder, with ``*`` widths taken from the arguments, and the arguments'
    own text."""
    if not isinstance(template, str):
        return
    size = len(template)
    placeholders = _PRINTF_SIZES.findall(template)
    for width, precision in placeholders:
        for part in (width, precision):
            if part.isdigit():
                size += int(part)
            elif part == "*":
                size += _star_sizes(arguments)
    if size > cap:
        raise _refuse("the format", cap)
    if isinstance(arguments, Mapping):  # '%(a)s%(a)s': a name may be used many times
        size += len(placeholders) * _largest_size(list(arguments.values()), cap)
    else:
        size += _arguments_size(arguments if isinstance(arguments, tuple) else (arguments,),
                                cap)
    if size > cap:
        raise _refuse("the format", cap)


def check_format_spec(template: str, cap: int, arguments: tuple[Any, ...] = (),
                      keywords: Mapping[str, Any] | None = None) -> None:
    """Widths and precisions of a str.format template (``'{:>500000000}'``) added up over
    its fields; a nested width (``'{:{}}'``) may be any integer argument."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # format itself refuses it, before making anything
    size = len(template)
    values = (*arguments, *(keywords or {}).values())
    # '{0}{0}' and '{a}{a}' use one argument many times: each field may be the largest
    size += sum(1 for _, name, _, _ in fields if name is not None) * \
        _largest_size(values, cap)
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            size += _star_sizes(values)
        match = _FORMAT_SPEC.match(spec)
        if match:
            size += sum(int(part) for part in match.groups() if part)
    if size > cap:
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
    if name == "join" and args:
        check_join(text, args[0], cap)


# Filters that never turn a container into text: they pass through without a size check
# (which would walk the container on every call).
_NO_TEXT_FILTERS = frozenset({
    "length", "count", "first", "last", "list", "map", "select", "reject", "selectattr",
    "rejectattr", "sort", "unique", "min", "max", "sum", "reverse", "dictsort", "items",
    "default", "d", "attr", "groupby", "random", "abs", "int", "float", "round", "bool",
    "required", "fromyaml", "fromjson", "batch", "slice", "wordcount", "safe",
})
# Filters that make a list with one item per character when given a string.
_ITEMIZING_FILTERS = frozenset({"list", "sort", "unique", "slice", "batch", "groupby"})


def _as_width(width: Any) -> int:
    """The width a filter will use: numbers and numeric strings are converted, as
    pyhelm's ``indent`` does; any other string is the pad itself."""
    if isinstance(width, (int, float)) and not isinstance(width, bool):
        return int(width) if abs(width) < float("inf") else 0
    if isinstance(width, str):
        try:
            return int(width)
        except ValueError:
            return len(width)
    return 0


def bound_filters(filters: MutableMapping[str, Callable[..., Any]], cap: int) -> None:
    """Check every filter's arguments before the filter runs: a container's text size
    (for filters that make text), widths (indent, nindent, center), %-formats, the
    replacement of ``replace``, the fill of ``batch`` and strings made into lists."""
    for name, function in list(filters.items()):
        if name in _NO_TEXT_FILTERS and name not in _ITEMIZING_FILTERS and \
                name not in _SPECIFIC_CHECKS:
            continue
        filters[name] = _checked_filter(name, function, cap)



def _checked_filter(name: str, function: Callable[..., Any], cap: int) -> Callable[..., Any]:
    from jinja2.utils import _PassArg

    skip = 1 if _PassArg.from_obj(function) is not None else 0  # context, eval_ctx, env
    makes_text = name not in _NO_TEXT_FILTERS
    specific = _SPECIFIC_CHECKS.get(name)

    def checked(*args: Any, **kwargs: Any) -> Any:
        value = args[skip] if len(args) > skip else None
        if name in _ITEMIZING_FILTERS and isinstance(value, str) and len(value) > MAX_ITEMS:
            raise SecurityError(f"{name} would make more than {MAX_ITEMS} items")
        if specific is not None:
            specific(args[skip:], kwargs, cap)
        if makes_text:
            check_arguments(args[skip:], kwargs, cap, name)
        return function(*args, **kwargs)

    for attribute in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(function, attribute):
            setattr(checked, attribute, getattr(function, attribute))
    return checked


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str,
              default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _check_width(name: str) -> Callable[[tuple[Any, ...], Mapping[str, Any], int], None]:
    def check(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
        width = _as_width(_argument(args, kwargs, 1, "width", 4))
        lines = str(args[0]).count("\n") + 1 if args and isinstance(args[0], str) else 1
        if width > cap or width * lines > cap:
            raise _refuse(name, cap)
    return check


def _check_format(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
    if args:
        check_printf(args[0], cap, tuple(kwargs.values()) if kwargs else tuple(args[1:]))


def _check_replace(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
    text = str(args[0]) if args else ""
    old, new = _argument(args, kwargs, 1, "old"), _argument(args, kwargs, 2, "new")
    count = _argument(args, kwargs, 3, "count")
    if isinstance(old, str) and isinstance(new, str):
        check_str_method(text, "replace", (old, new) + ((count,) if count else ()), cap)


def _check_batch(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
    size = _argument(args, kwargs, 1, "linecount")
    if _argument(args, kwargs, 2, "fill_with") is not None and isinstance(size, int) and \
            size > MAX_ITEMS:
        raise SecurityError(f"batch would make more than {MAX_ITEMS} items")


def _check_slice(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
    slices = _argument(args, kwargs, 1, "slices")
    if isinstance(slices, int) and slices > MAX_ITEMS:
        raise SecurityError(f"slice would make more than {MAX_ITEMS} items")


def _check_join(args: tuple[Any, ...], kwargs: Mapping[str, Any], cap: int) -> None:
    if args:
        check_join(_argument(args, kwargs, 1, "d", ""), args[0], cap)


_SPECIFIC_CHECKS: dict[str, Callable[[tuple[Any, ...], Mapping[str, Any], int], None]] = {
    "indent": _check_width("indent"), "nindent": _check_width("nindent"),
    "center": _check_width("center"), "format": _check_format, "replace": _check_replace,
    "batch": _check_batch, "slice": _check_slice, "join": _check_join,
}
