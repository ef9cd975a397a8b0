"""The ``pyhelm`` entry point: a click group whose subcommands load lazily.

Each command lives in its own module under ``pyhelm.cli`` and is registered in
``COMMANDS`` below as ``name -> "module:attribute"``; only the module of the command
being run is imported, which keeps ``pyhelm template`` fast. Errors from the library
become one line on stderr and an exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from pyhelm.cli.entry import resume_collector
from pyhelm.cli.globals import attach, make_options
from pyhelm.cli.pflag import with_pflag_grammar
from pyhelm.errors import PyhelmError

COMMANDS: dict[str, str] = {
    # name: "module:attribute" -- keep sorted; one line per command
    "completion": "pyhelm.cli.env:completion_command",
    "controller": "pyhelm.cli.controller:controller_command",
    "create": "pyhelm.cli.create:create_command",
    "dependency": "pyhelm.cli.dependency:dependency_command",
    "diff": "pyhelm.cli.diff:diff_command",
    "env": "pyhelm.cli.env:env_command",
    "get": "pyhelm.cli.history:get_command",
    "help": "pyhelm.cli.env:help_command",
    "history": "pyhelm.cli.history:history_command",
    "install": "pyhelm.cli.install:install_command",
    "lint": "pyhelm.cli.lint:lint_command",
    "list": "pyhelm.cli.history:list_command",
    "package": "pyhelm.cli.package:package_command",
    "plugin": "pyhelm.cli.plugin:plugin_command",
    "pull": "pyhelm.cli.pull:pull_command",
    "push": "pyhelm.cli.push:push_command",
    "registry": "pyhelm.cli.registry:registry_command",
    "repo": "pyhelm.cli.repo:repo_command",
    "rollback": "pyhelm.cli.rollback:rollback_command",
    "search": "pyhelm.cli.search:search_command",
    "show": "pyhelm.cli.show:show_command",
    "status": "pyhelm.cli.history:status_command",
    "template": "pyhelm.cli.template:template_command",
    "test": "pyhelm.cli.test:test_command",
    "uninstall": "pyhelm.cli.rollback:uninstall_command",
    "unlock": "pyhelm.cli.unlock:unlock_command",
    "upgrade": "pyhelm.cli.install:upgrade_command",
    "verify": "pyhelm.cli.verify:verify_command",
    "version": "pyhelm.cli.version:version_command",
}


# Helm's aliases of its verbs (cobra's Aliases), resolved but not listed in help
ALIASES: dict[str, str] = {
    "del": "uninstall", "delete": "uninstall", "dep": "dependency",
    "dependencies": "dependency", "fetch": "pull", "hist": "history", "inspect": "show",
    "ls": "list", "un": "uninstall",
}


# pyhelm's verbs that Helm does not have: an installed CLI plugin of that name wins (so
# the helm-diff plugin, when installed, answers `pyhelm diff`)
OWN_VERBS = frozenset({"controller", "diff", "unlock"})


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is invoked, gives it
    the global flags, runs installed CLI plugins as verbs, and suggests the nearest verb
    for a typo, as cobra does."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from pyhelm.cli.plugin_commands import cli_plugins, command_name

        plugins = {command_name(p) for p in cli_plugins(ctx)}
        return sorted(set(COMMANDS) | plugins)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = ALIASES.get(cmd_name, cmd_name)
        if name not in COMMANDS or name in OWN_VERBS:
            from pyhelm.cli.plugin_commands import find_command

            plugin = find_command(ctx, cmd_name)
            if plugin is not None:
                return plugin
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return attach(command)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            message = f'unknown command "{name}" for "pyhelm"'
            close = suggestions(name, self.list_commands(ctx))
            if close:
                message += "\n\nDid you mean this?\n" + "".join(f"\t{c}\n" for c in close)
            raise click.ClickException(message.rstrip("\n") +
                                   "\n\nRun 'pyhelm --help' for usage.")
        return super().resolve_command(ctx, args)


def suggestions(typed: str, names: list[str]) -> list[str]:
    """Cobra's rule: a Levenshtein distance of at most 2, or a prefix."""
    return [n for n in names if _distance(typed.lower(), n) <= 2 or n.startswith(typed.lower())]


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pyhelm: the package manager for Kubernetes, with Jinja2 charts."""
    resume_collector()  # the command's module is imported by now (see pyhelm.cli.entry)
    ctx.ensure_object(dict)


cli.params.extend(make_options(hidden=False))
with_pflag_grammar(cli)


WAIT_STRATEGIES = {"watcher": True, "legacy": True, "true": True,
                   "hookOnly": False, "false": False}


def wait_strategy_flags(argv: list[str]) -> list[str]:
    """Helm 4's ``--wait[=watcher|legacy|hookOnly]``: a bare ``--wait`` is ``watcher``,
    and a strategy is given only as ``--wait=NAME`` (so ``--wait NAME CHART`` keeps NAME
    as the release). pyhelm's readiness wait serves watcher and legacy; hookOnly waits for
    hooks only, which is pyhelm's behaviour without ``--wait``."""
    out: list[str] = []
    for index, word in enumerate(argv):
        if word == "--":
            return out + argv[index:]
        if word.startswith("--wait="):
            strategy = word.split("=", 1)[1]
            if strategy not in WAIT_STRATEGIES:
                raise click.UsageError(f'invalid wait input "{strategy}". Valid inputs are '
                                       "watcher, hookOnly, and legacy")
            if WAIT_STRATEGIES[strategy]:
                out.append("--wait")
            continue
        out.append(word)
    return out


def show_notices() -> None:
    """Print the library's notices (``pyhelm.notices``) as Helm's log lines, each time
    one is told; other warnings as Python shows them."""
    import warnings

    from pyhelm.notices import Notice

    python_shows = warnings.showwarning
    if getattr(python_shows, "shows_notices", False):
        return  # installed by an earlier command in this process

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if isinstance(message, Notice):
            from pyhelm.cli import helm_log

            click.echo(helm_log.log_line(message.level, str(message), **message.attributes),
                       err=True)
        else:
            python_shows(message, category, filename, lineno, file, line)

    show.shows_notices = True  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", Notice)  # Helm logs each one, repeats included


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; map pyhelm errors to a one-line message and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or any(
        os.environ.get(name, "").lower() in ("1", "true", "yes", "on")
        for name in ("PYHELM_DEBUG", "HELM_DEBUG"))
    show_notices()
    try:
        args = wait_strategy_flags(list(sys.argv[1:] if argv is None else argv))
        return cli.main(args=args, prog_name="pyhelm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)  # Helm exits 1 for usage errors too; scripts test for it
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except PyhelmError as exc:
        if debug:
            raise
        # Helm's text where programs that drive helm match on it ("release: not found")
        click.echo(f"Error: {getattr(exc, 'helm_message', None) or exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted", err=True)
        sys.exit(130)
