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

from pyhelm.errors import PyhelmError

COMMANDS: dict[str, str] = {
    # name: "module:attribute" -- keep sorted; one line per command
    "create": "pyhelm.cli.create:create_command",
    "dependency": "pyhelm.cli.dependency:dependency_command",
    "diff": "pyhelm.cli.diff:diff_command",
    "get": "pyhelm.cli.history:get_command",
    "history": "pyhelm.cli.history:history_command",
    "install": "pyhelm.cli.install:install_command",
    "lint": "pyhelm.cli.lint:lint_command",
    "list": "pyhelm.cli.history:list_command",
    "package": "pyhelm.cli.package:package_command",
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
    "version": "pyhelm.cli.version:version_command",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="PYHELM_DEBUG",
              help="Show tracebacks and verbose output.")
@click.option("--kubeconfig", envvar="PYHELM_KUBECONFIG", default=None,
              help="Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
@click.option("--kube-context", default=None, help="Name of the kubeconfig context to use.")
@click.option("-n", "--namespace", default=None, help="Namespace scope for this request.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, kubeconfig: str | None, kube_context: str | None,
        namespace: str | None) -> None:
    """pyhelm: the package manager for Kubernetes, with Jinja2 charts."""
    ctx.ensure_object(dict)
    ctx.obj.update(debug=debug, kubeconfig=kubeconfig, kube_context=kube_context,
                   namespace=namespace)


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; map pyhelm errors to a one-line message and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or bool(
        os.environ.get("PYHELM_DEBUG"))
    try:
        return cli.main(args=argv, prog_name="pyhelm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except PyhelmError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted", err=True)
        sys.exit(130)
