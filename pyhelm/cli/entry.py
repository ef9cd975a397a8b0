"""The console script's entry point: hand the command to the command server when one is
up (``command_client``); else start helm-engine early, then run the CLI here.

A command that renders a Go-template chart needs Helm's engine; starting its process
before the command's modules (click, the actions) are imported lets its start-up run
beside Python's on another core. Nothing else happens here, so this module imports only
what that needs.

In a process of its own, the cyclic garbage collector is paused while the command line's
modules are imported (``pause_collector``): importing click, the command's module and
pyhelm's dataclasses allocates objects that all live to the end, which the collector
would scan again and again for nothing (about 5 ms of a 0.1 s command). The root
command's callback resumes it (``resume_collector``) with those objects frozen, so later
collections never scan them either; the command's own work runs collected as usual. A
command server's runner needs neither: its server froze its heap before forking it.

For a chart that is plainly a Jinja2 chart, the chart loader and the renderer the
command imports as it runs are imported with the collector still paused, for the same
reason.

``start_up.lighten`` leaves some of the libraries' start-up work to its first use: three
regular expressions pyhelm never uses and, for ``template``, standard-library modules
its commands do not reach (``tempfile`` and ``ipaddress``).
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs 10 ms (see pyhelm/__init__)
if TYPE_CHECKING:
    from typing import Any

RENDERING_VERBS = frozenset({"template", "install", "upgrade"})


def _verb(argv: list[str]) -> str | None:
    """The first word that is not a flag (flags with values are not told apart here:
    at worst the engine is started for nothing)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _evidently_jinja(argv: list[str]) -> bool:
    """Whether a chart directory named on the line is plainly a Jinja2 chart (``.j2``
    templates), which never needs the engine. A guess that says no only costs a process."""
    for word in argv:
        templates = os.path.join(word, "templates")
        if not word.startswith("-") and os.path.isdir(templates):
            try:
                with os.scandir(templates) as entries:
                    return any(entry.name.endswith(".j2") for entry in entries)
            except OSError:
                return False  # the command itself reports an unreadable chart
    return False


def main(argv: list[str] | None = None) -> Any:
    words = sys.argv[1:] if argv is None else argv
    if argv is None:  # the ``pyhelm`` process itself, not a caller passing its own words
        from pyhelm.cli import command_client

        status = command_client.run(words)
        if status is not None:
            sys.exit(status)
    return run_here(words)


_paused: list[bool] = []  # the collector was paused by pause_collector


def pause_collector() -> None:
    """Pause the cyclic collector for the start-up, unless it is off or already frozen."""
    if gc.isenabled() and not gc.get_freeze_count():
        gc.disable()
        _paused.append(True)


def resume_collector() -> None:
    """Resume a collector paused by ``pause_collector``, with every object so far frozen."""
    if _paused:
        _paused.clear()
        gc.freeze()
        gc.enable()


def _import_jinja2_rendering() -> None:
    """The chart loader and the Jinja2 renderer (with Jinja2), which the command would
    import once it runs, when the collector is back: imported here, with it paused,
    their objects are frozen with the command line's and never scanned (2-3 ms)."""
    import pyhelm.chart.loader
    import pyhelm.engine.render  # noqa: F401


def run_here(words: list[str], served: bool = False) -> Any:
    """Run the command in this process; ``served``: a command server's runner, whose
    heap the server froze and whose libraries it imported (``pause_collector``'s check
    of the frozen objects would walk them all, 2-3 ms)."""
    verb = _verb(words)
    from pyhelm.cli.start_up import lighten, unchanged

    if not served:
        pause_collector()
    done = unchanged if served else lighten(verb)
    if verb in RENDERING_VERBS:
        if not _evidently_jinja(words):
            from pyhelm.engine.engine_process import prestart

            prestart()
        elif not served:
            _import_jinja2_rendering()
    try:
        from pyhelm.cli.main import main as run

        return run(words)
    finally:
        done()
