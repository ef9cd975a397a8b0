"""Options and helpers shared by several commands (values flags, output formats)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def values_options(func: F) -> F:
    """Helm's value flags: -f and the --set family, in Helm's spelling."""
    options = [
        click.option("-f", "--values", "values_files", multiple=True,
                     help="Values file (YAML); may be given several times."),
        click.option("--set", "set_values", multiple=True,
                     help="Set a value: key=value[,key=value]."),
        click.option("--set-string", "set_string_values", multiple=True,
                     help="Set a value as a string."),
        click.option("--set-file", "set_file_values", multiple=True,
                     help="Set a value from a file: key=path."),
        click.option("--set-json", "set_json_values", multiple=True,
                     help="Set a value from JSON: key=jsonvalue."),
        click.option("--set-literal", "set_literal_values", multiple=True,
                     help="Set a literal string value: key=value (no parsing)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def output_option(formats: tuple[str, ...] = ("table", "json", "yaml"),
                  default: str = "table") -> Callable[[F], F]:
    return click.option("-o", "--output", "output", type=click.Choice(formats),
                        default=default, show_default=True, help="Output format.")


def dump(data: Any, fmt: str) -> str:
    """Render data as json or yaml text for -o."""
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False, default=str)
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def value_options(kwargs: dict[str, Any]) -> Any:
    """The ``values_options`` flags (popped from kwargs) as an action ValueOptions."""
    from pyhelm.action.values_options import ValueOptions

    return ValueOptions(**{name: tuple(kwargs.pop(name)) for name in (
        "values_files", "set_values", "set_string_values", "set_file_values",
        "set_json_values", "set_literal_values")})
