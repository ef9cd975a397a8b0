"""Printing a ``--template`` flag's output as Helm does: what the template printed, even
when it then failed, and the error after it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click


def print_go_template(text: str, kind: str, data: Mapping[str, Any]) -> None:
    from pyhelm.engine.go_template import execute

    output = execute(text, kind, data)
    click.echo(output.text, nl=False)
    output.checked()
