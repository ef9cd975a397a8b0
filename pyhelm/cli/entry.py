"""The console script's entry point: start helm-engine early, then run the CLI.

A command that renders charts may need Helm's engine; starting its process before the
command's modules (click, the actions) are imported lets its start-up run beside
Python's on another core. Nothing else happens here, so this module imports only what
that needs.
"""

from __future__ import annotations

import sys
from typing import Any

RENDERING_VERBS = frozenset({"template", "install", "upgrade"})


def _verb(argv: list[str]) -> str | None:
    """The first word that is not a flag (flags with values are not told apart here:
    at worst the engine is started for nothing)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> Any:
    if _verb(sys.argv[1:] if argv is None else argv) in RENDERING_VERBS:
        from pyhelm.engine.engine_process import prestart

        prestart()
    from pyhelm.cli.main import main as run

    return run(argv)
