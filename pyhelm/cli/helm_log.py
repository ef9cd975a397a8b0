"""Helm 4's log lines on standard error: Go's ``slog`` text format without the time
(``level=WARN msg="…" key=value``), so that programs reading Helm's warnings read ours."""

from __future__ import annotations

import json

import click


def _value(text: str) -> str:
    """A value as slog's text handler writes it: quoted (Go's strconv.Quote, which JSON
    escaping matches for these characters) when empty or when it holds a space, '=', '"'
    or a character that is not printable."""
    if text and text.isprintable() and not any(c in text for c in ' ="'):
        return text
    return json.dumps(text, ensure_ascii=False)


def log_line(level: str, message: str, **attributes: object) -> str:
    pairs = "".join(f" {key}={_value(str(value))}" for key, value in attributes.items())
    return f"level={level} msg={_value(message)}{pairs}"


def warn(message: str, **attributes: object) -> None:
    click.echo(log_line("WARN", message, **attributes), err=True)


def debug(enabled: bool, message: str, **attributes: object) -> None:
    if enabled:
        click.echo(log_line("DEBUG", message, **attributes), err=True)
