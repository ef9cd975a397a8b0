"""JSON Schema's regex keywords (``pattern``, ``patternProperties``, and
``additionalProperties``, which consults the latter) matched with RE2, as Helm's validator
matches them (Go's regexp): linear in the input, so a pattern such as ``^(a+)+$`` cannot
stall a render (Python's backtracking ``re`` takes seconds per added character). A
pattern RE2 refuses (backreferences, lookarounds) is refused as Helm refuses it."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from pyhelm.errors import ValuesError


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own message on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValuesError(f"values.schema.json: pattern {pattern!r} is not a valid regular "
                          f"expression (RE2 syntax, as Helm's): {detail}") from None


def matches(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


def pattern(validator: Any, wanted: str, instance: Any, _schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not matches(wanted, instance):
        yield ValidationError(f"{instance!r} does not match {wanted!r}")


def pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                       _schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for each, subschema in patterns.items():
        for key, value in instance.items():
            if matches(each, key):
                yield from validator.descend(value, subschema, path=key, schema_path=each)


def additional_properties(validator: Any, allowed: Any, instance: Any,
                          schema: Mapping[str, Any]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [key for key in instance
              if key not in known and not any(matches(p, key) for p in patterns)]
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        names = ", ".join(repr(key) for key in sorted(extras))
        yield ValidationError(f"additional properties are not allowed ({names})")


KEYWORDS = {"pattern": pattern, "patternProperties": pattern_properties,
            "additionalProperties": additional_properties}
