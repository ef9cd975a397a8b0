"""``pyhelm env``, ``pyhelm help VERB...`` and ``pyhelm completion SHELL``."""

from __future__ import annotations

import sys

import click

from pyhelm.cli.globals import settings

# PowerShell is not one of click's shells: this script asks pyhelm for candidates
# through click's bash protocol (COMP_WORDS/COMP_CWORD) and hands them to PowerShell.
_POWERSHELL = r"""
Register-ArgumentCompleter -Native -CommandName 'pyhelm' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = $commandAst.CommandElements | ForEach-Object { $_.ToString() }
    $cword = $words.Count
    if ($wordToComplete -ne '') { $cword = $cword - 1 }
    $env:COMP_WORDS = ($words -join ' ')
    $env:COMP_CWORD = $cword
    $env:_PYHELM_COMPLETE = 'bash_complete'
    $out = & pyhelm 2>$null
    Remove-Item Env:COMP_WORDS, Env:COMP_CWORD, Env:_PYHELM_COMPLETE
    $out | ForEach-Object {
        $value = ($_ -split ',', 2)[1]
        [System.Management.Automation.CompletionResult]::new($value, $value,
            'ParameterValue', $value)
    }
}
""".lstrip()


@click.command("env")
@click.argument("name", required=False)
@click.pass_context
def env_command(ctx: click.Context, name: str | None) -> None:
    """Print the environment pyhelm uses, as ``helm env`` does (or one VALUE)."""
    lines = settings(ctx).env_lines(sys.argv[0])
    if name is None:
        click.echo("\n".join(lines))
        return
    for line in lines:
        key, _, value = line.partition("=")
        if key == name:
            click.echo(value[1:-1])


@click.command("help", context_settings={"ignore_unknown_options": True})
@click.argument("verb", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, verb: tuple[str, ...]) -> None:
    """Help about any command: pyhelm help VERB [SUBVERB]."""
    root = ctx.find_root()
    command: click.Command = root.command
    current = root
    for word in verb:
        if not isinstance(command, click.Group):
            break
        found = command.get_command(current, word)
        if found is None:
            raise click.ClickException(f'unknown help topic "{" ".join(verb)}"')
        command = found
        current = click.Context(command, info_name=word, parent=current)
    click.echo(command.get_help(current))


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish", "powershell"]))
def completion_command(shell: str) -> None:
    """Print the autocompletion script for a shell: source it, e.g.
    ``source <(pyhelm completion bash)``."""
    if shell == "powershell":
        click.echo(_POWERSHELL, nl=False)
        return
    from click.shell_completion import get_completion_class

    from pyhelm.cli.main import cli

    completion = get_completion_class(shell)
    assert completion is not None
    click.echo(completion(cli, {}, "pyhelm", "_PYHELM_COMPLETE").source())
