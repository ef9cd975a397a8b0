"""Helm's command-line grammar on top of click: what cobra's pflag accepts and click does
not. Programs that drive ``helm`` write ``-f=values.yaml`` (pflag drops the ``=``),
``--force=false`` and ``--atomic=true`` (pflag's booleans take a value), and call verbs
by their aliases (``helm delete``, ``helm ls``, ``helm repo rm``).

``normalize`` rewrites those words into click's spelling for one command's options;
``globals.attach`` applies it to every command, and ``with_aliases`` gives a group
Helm's aliases of its subcommands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # Go's strconv.ParseBool
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def normalize(params: Sequence[click.Parameter], args: list[str],
              spell_out: bool = False) -> list[str]:
    """``args`` with pflag's ``-x=value`` and ``--flag=true|false`` as click takes them;
    everything after ``--`` is left alone. ``spell_out`` (a command's own words, not a
    group's): a short flag that has a long spelling is given by it, which click parses
    the same way without first failing to match it as a long option (click's error for
    that imports ``difflib`` and ranks every long option by similarity, 1-2 ms)."""
    options = {name: param for param in params if isinstance(param, click.Option)
               for name in (*param.opts, *param.secondary_opts)}
    out: list[str] = []
    value_next = False  # the word before is an option whose value this word may be
    for index, word in enumerate(args):
        if word == "--":
            return out + args[index:]
        bare = options.get(word)
        is_value, value_next = value_next, False
        if bare is not None and getattr(bare, "_flag_needs_value", False):
            # pflag's NoOptDefVal: a bare `--dry-run` takes its default and never the
            # next word (click would take it), so `--dry-run NAME CHART` keeps NAME
            out.append(f"{word}={bare.flag_value}")
            continue
        if not is_value and word.startswith("-") and len(word) > 1 and "=" not in word:
            takes_value = bare is None or not (bare.is_flag or bare.count)
            if bare is not None and takes_value and bare.nargs != 1:
                spell_out = False  # several values: leave the rest as it is
            value_next = takes_value  # (an unknown word or a cluster: as if it did)
            if spell_out and bare is not None and len(word) == 2 and word in bare.opts:
                spelled = next((o for o in bare.opts if o.startswith("--")), None)
                if spelled is not None and (not takes_value or index + 1 < len(args)):
                    out.append(spelled)  # (a missing value's error names the flag typed)
                    continue
        name, equals, value = word.partition("=")
        option = options.get(name) if equals and name.startswith("-") else None
        if option is None or (not name.startswith("--") and len(name) != 2):
            out.append(word)
        elif option.is_bool_flag:
            out.extend(_boolean(option, name, value))
        elif name.startswith("--"):
            out.append(word)  # click reads --name=value itself
        else:
            out.extend((name, value))
    return out


def _boolean(option: click.Option, name: str, value: str) -> list[str]:
    """``--name=VALUE`` of a boolean flag as the word that sets it, or none when that is
    the flag's default."""
    if value not in _TRUE + _FALSE:
        raise click.UsageError(f'invalid argument "{value}" for "{name}" flag: '
                               f'strconv.ParseBool: parsing "{value}": invalid syntax')
    negated = name in option.secondary_opts
    wanted = (value in _TRUE) != negated
    if wanted:
        return [option.opts[0]]
    if option.secondary_opts:
        return [option.secondary_opts[0]]
    if option.default is True:  # a flag on by default that has no spelling for off
        raise click.UsageError(f'"{name}={value}" cannot turn off this flag')
    return []


def with_aliases(group: click.Group, aliases: dict[str, str]) -> click.Group:
    """Let ``group`` find its subcommands by Helm's aliases too (not listed in help)."""
    original: Callable[[click.Context, str], click.Command | None] = group.get_command

    def get_command(ctx: click.Context, name: str) -> click.Command | None:
        return original(ctx, aliases.get(name, name))

    group.get_command = get_command  # type: ignore[method-assign,assignment]
    return group


def with_pflag_grammar(command: click.Command) -> None:
    """Make ``command`` read its words with ``normalize`` before click parses them."""
    original = command.parse_args

    spell_out = not isinstance(command, click.Group)  # a group's words are its commands'

    def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        return original(ctx, normalize(command.params, args, spell_out))

    command.parse_args = parse_args  # type: ignore[method-assign]


def string_slice(given: Sequence[str]) -> tuple[str, ...]:
    """The values of a pflag StringSlice flag (Helm's ``-f`` and ``--api-versions``):
    each time it is given, a comma-separated (CSV) list."""
    if not any(given):
        return ()  # most commands give none: no need to load csv
    import csv

    return tuple(item for text in given if text for item in next(csv.reader([text])))
