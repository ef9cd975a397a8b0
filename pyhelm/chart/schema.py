"""Validating merged values against each chart's ``values.schema.json``.

No ``$ref`` is ever fetched: the validator gets an empty ``referencing.Registry``, so a
reference to a file or URL fails as unresolvable instead of reaching the disk or the
network. ``format`` is checked for drafts up to 7, as Helm does. All errors of all
charts are collected and reported together, each with its JSON path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pyhelm.chart.model import Chart
from pyhelm.errors import ValuesError

_FORMAT_CHECKED_DRAFTS = ("draft3", "draft4", "draft6", "draft7")


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def schema_errors(chart: Chart, values: Mapping[str, Any], where: str) -> list[str]:
    """Every schema violation of one chart's values, as one-line messages."""
    if chart.schema is None:
        return []
    import jsonschema
    import referencing
    import referencing.exceptions

    from pyhelm.yamlio import check_json_depth

    try:
        check_json_depth(chart.schema if isinstance(chart.schema, str)
                         else chart.schema.decode("utf-8", "replace"))
        schema = json.loads(chart.schema)
        # charts rarely name a draft; Helm's validators then behave like draft 7
        validator_class = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(schema)
    except (ValueError, RecursionError, jsonschema.SchemaError) as exc:
        message = getattr(exc, "message", str(exc))
        raise ValuesError(f"{where}/values.schema.json: invalid schema: {message}") from exc
    checker = (validator_class.FORMAT_CHECKER
               if validator_class.__name__.lower().startswith(_FORMAT_CHECKED_DRAFTS) else None)
    from pyhelm.chart.schema_regex import KEYWORDS

    linear = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        validator_class, KEYWORDS)  # RE2, as Helm's
    validator = linear(schema, registry=referencing.Registry(), format_checker=checker)
    try:
        errors = sorted(validator.iter_errors(_plain(values)),
                        key=lambda e: [str(p) for p in e.absolute_path])
        return [f"{where}: values: {_path(e.absolute_path)}: {describe(e)}" for e in errors]
    except referencing.exceptions.Unresolvable as exc:
        raise ValuesError(f"{where}/values.schema.json: cannot resolve $ref {exc.ref!r} "
                          "(references outside the schema are not fetched)") from exc
    except RecursionError:
        raise ValuesError(f"{where}/values.schema.json: a $ref loop (a schema that refers "
                          "to itself without end)") from None


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"), (type(None), "null"))


def _type_name(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "unknown")


def describe(error: Any) -> str:
    """A schema violation in words that name the rule and the types involved, never the
    offending value (values hold passwords; Helm prints path and types only)."""
    rule, want = error.validator, error.validator_value
    given = _type_name(error.instance)
    if rule == "type":
        wanted = ", ".join(want) if isinstance(want, list) else want
        return f"Invalid type. Expected: {wanted}, given: {given}"
    plain: dict[str, Callable[[], str]] = {
        "required": lambda: error.message,  # names the missing key, from the schema
        "enum": lambda: f"must be one of the {len(want)} values the schema allows",
        "const": lambda: "does not equal the schema's constant",
        "pattern": lambda: f"does not match pattern {want!r}",
        "format": lambda: f"is not a valid {want!r}",
        "minLength": lambda: ("must not be empty" if want == 1
                              else f"must be at least {want} characters long"),
        "maxLength": lambda: f"must be at most {want} characters long",
        "minimum": lambda: f"must be >= {want}",
        "maximum": lambda: f"must be <= {want}",
        "exclusiveMinimum": lambda: f"must be > {want}",
        "exclusiveMaximum": lambda: f"must be < {want}",
        "multipleOf": lambda: f"must be a multiple of {want}",
        "minItems": lambda: f"must have at least {want} items",
        "maxItems": lambda: f"must have at most {want} items",
        "uniqueItems": lambda: "items must be unique",
        "minProperties": lambda: f"must have at least {want} properties",
        "maxProperties": lambda: f"must have at most {want} properties",
        # schema_regex's message: the keys (never values) that neither properties nor
        # patternProperties allow
        "additionalProperties": lambda: error.message,
    }
    if rule in plain:
        return str(plain[rule]())
    return f"{given} does not satisfy the schema's {rule!r} rule"


def _plain(values: Any) -> Any:
    if isinstance(values, Mapping):
        return {k: _plain(v) for k, v in values.items()}
    if isinstance(values, list):
        return [_plain(v) for v in values]
    return values


def validate_values(chart: Chart, values: Mapping[str, Any]) -> None:
    """Check the chart and every subchart; raise one ValuesError listing every error."""
    errors: list[str] = []

    def walk(node: Chart, node_values: Mapping[str, Any], where: str) -> None:
        errors.extend(schema_errors(node, node_values, where))
        for sub in node.subcharts:
            sub_values = node_values.get(sub.name)
            walk(sub, sub_values if isinstance(sub_values, Mapping) else {},
                 f"{where}/charts/{sub.name}")

    walk(chart, values, chart.name)
    if errors:
        head = errors[0] if len(errors) == 1 else (
            f"values don't meet the schema ({len(errors)} errors): " + errors[0])
        raise ValuesError("\n".join([head, *errors[1:]]))
