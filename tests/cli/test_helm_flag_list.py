"""Every flag of every Helm 4.3 command exists in pyhelm, or the README's table says why
not: Helm's own `--help` of each command (found from `helm --help` down) against
pyhelm's click commands, global flags included."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from pyhelm.cli.main import cli
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
_TABLE = re.compile(r"<!-- helm-flags-left-out: begin -->\n(.*?)<!-- helm-flags-left-out: end",
                    re.S)
_ROW = re.compile(r"^\| `([^`]+)` \| (.+?) \| (.+) \|$", re.M)


def _section(text: str, title: str) -> str:
    match = re.search(rf"^{title}:\n(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    return match.group(1) if match else ""


def helm_flags(home: Path) -> dict[str, set[str]]:
    """{"repo add": {"--username", ...}, ...} from Helm's help texts."""
    import subprocess

    env = peers.helm_env(home)
    found: dict[str, set[str]] = {}

    def visit(path: tuple[str, ...]) -> None:
        text = subprocess.run([str(peers.helm_binary()), *path, "--help"],
                              capture_output=True, text=True, env=env, check=True).stdout
        found[" ".join(path)] = set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)",
                                               _section(text, "Flags"), re.M)) - {"--help"}
        for line in _section(text, "Available Commands").splitlines():
            name = line.split()[0]
            if name not in ("help", "completion"):
                visit((*path, name))

    visit(())
    return found


def pyhelm_flags(path: str) -> set[str] | None:
    """The flags of a pyhelm command, or None when it has none of that name (`get X` is
    one command, `get`, taking X as its first word)."""
    words = path.split()
    if words[:1] == ["get"]:
        words = ["get"]
    command: click.Command = cli
    context = click.Context(cli)
    for word in words:
        if not isinstance(command, click.Group):
            return None
        found = command.get_command(context, word)
        if found is None:
            return None
        command = found
    return {name for param in command.params
            for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))}


def left_out() -> dict[str, set[str]]:
    """The README's table: command -> flags pyhelm leaves out ("*": the whole command)."""
    table = _TABLE.search((ROOT / "README.md").read_text())
    assert table, "README.md has no helm-flags-left-out table"
    rows: dict[str, set[str]] = {}
    for command, flags, reason in _ROW.findall(table.group(1)):
        assert reason.strip(), command
        rows.setdefault(command, set()).update(re.findall(r"`([^`]+)`", flags))
    return rows


def test_every_helm_flag_is_in_pyhelm_or_left_out_with_a_reason(tmp_path: Path) -> None:
    listed = left_out()
    missing: dict[str, set[str]] = {}
    for path, flags in helm_flags(tmp_path).items():
        mine = pyhelm_flags(path)
        lacking = {"*"} if mine is None else flags - mine
        unexplained = lacking - listed.get(path, set())
        if unexplained:
            missing[path] = unexplained
    assert not missing, f"Helm flags pyhelm lacks, not in README's table: {missing}"


def test_the_table_lists_only_what_pyhelm_still_lacks(tmp_path: Path) -> None:
    helm = helm_flags(tmp_path)
    stale = {}
    for path, flags in left_out().items():
        mine = pyhelm_flags(path)
        if path not in helm:
            stale[path] = {"(no such Helm command)"}
        elif mine is not None and flags & mine:
            stale[path] = flags & mine
        elif mine is not None and "*" in flags:
            stale[path] = {"*"}
    assert not stale, f"README lists flags pyhelm now has: {stale}"
