"""Shared plumbing of the release commands: the Configuration from global flags,
tables, and the release summary Helm prints after install/upgrade/rollback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from pyhelm.action.configuration import Configuration
from pyhelm.cli.common import dump
from pyhelm.cli.globals import settings

timeout_option = click.option("--timeout", default="5m0s", show_default=True,
                              help="Time to wait for any one operation (Go duration).")


def configuration(ctx: click.Context) -> Configuration:
    return Configuration.from_settings(settings(ctx), progress=_progress_printer())


def _print_line(message: str) -> None:
    if message:
        click.echo(message, err=True)


def _progress_printer() -> Callable[[str], None]:
    """On a terminal one status line rewritten in place; otherwise plain lines (logs)."""
    if not is_terminal():
        return _print_line

    def show(message: str) -> None:
        """An empty message means the wait is over: clear the line for what follows."""
        import shutil  # here: its import (bz2, lzma, fnmatch) is 1.5 ms of list's start-up

        width = shutil.get_terminal_size().columns - 1
        click.echo("\r\x1b[2K" + message[:width], err=True, nl=False)

    return show


def seconds(text: str) -> float:
    from pyhelm.action.rollout import parse_duration

    return parse_duration(text)


def table(headers: Sequence[str] | None, rows: Sequence[Sequence[Any]],
          max_width: int = 0) -> str:
    """Helm's tables (gosuri/uitable): every cell, the last too, padded to its column's
    width and joined by a tab; cells wider than ``max_width`` (0: no limit) cut to it
    with "..."; ``headers`` None for --no-headers."""
    def cut(text: str) -> str:
        return text if not max_width or len(text) <= max_width else \
            text[:max(max_width - 3, 0)] + "..."

    cells = [[cut(str(c)) for c in row] for row in ([headers] if headers else []) + list(rows)]
    if not cells:
        return ""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("\t".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     for row in cells)


def print_release(release: Any, fmt: str, *, hide_notes: bool = False) -> None:
    """What install, upgrade (and rollback) print: Helm's status text, or the release."""
    from pyhelm.cli.release_output import release_dict, status_text

    if fmt != "table":
        click.echo(dump(release_dict(release), fmt))
        return
    click.echo(status_text(release, show_notes=not hide_notes), nl=False)


def is_terminal() -> bool:
    return sys.stderr.isatty()
