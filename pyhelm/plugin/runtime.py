"""The ``subprocess`` runtime: how Helm 4.3 turns a plugin's configuration into a process.

The platform command is chosen as Helm chooses it (this OS and architecture exactly,
else the first entry for this OS without an architecture, else the first with neither),
its ``command`` split on single spaces, ``$VAR`` and ``${VAR}`` expanded by Go's
``os.Expand`` rules from the plugin's environment (the caller's plus ``HELM_PLUGIN_NAME``
and ``HELM_PLUGIN_DIR``), then its ``args`` (expanded or not, as the caller says) and
the caller's arguments appended. Each kind of plugin is then run as Helm runs it:
hooks, CLI commands, getters and post-renderers.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence

from pyhelm.errors import PluginError, PluginExitError
from pyhelm.plugin.loader import Plugin
from pyhelm.plugin.metadata import PlatformCommand, SubprocessConfig

_SPECIAL = "*#$@!?-0123456789"


def go_os() -> str:
    return {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform,
                                                                         sys.platform)


def go_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "i386": "386", "i686": "386"}.get(
        machine, machine)


def expand(text: str, lookup: Callable[[str], str]) -> str:
    """Go's ``os.Expand``: ``$NAME``, ``${NAME}`` and the shell's one-character names;
    ``${}`` and an unclosed ``${`` are dropped, a ``$`` before anything else is kept."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
            continue
        rest = text[i + 1:]
        name, width = _shell_name(rest)
        if name:
            out.append(lookup(name))
        elif width == 0:
            out.append("$")
        i += 1 + width
    return "".join(out)


def _shell_name(rest: str) -> tuple[str, int]:
    if rest[0] == "{":
        if len(rest) > 2 and rest[1] in _SPECIAL and rest[2] == "}":
            return rest[1], 3
        close = rest.find("}", 1)
        if close == 1:
            return "", 2
        return ("", 1) if close < 0 else (rest[1:close], close + 1)
    if rest[0] in _SPECIAL:
        return rest[0], 1
    width = 0
    while width < len(rest) and (rest[width] == "_" or (rest[width].isascii()
                                                          and rest[width].isalnum())):
        width += 1
    return rest[:width], width


def choose(commands: Sequence[PlatformCommand]) -> PlatformCommand | None:
    """Helm's getPlatformCommand."""
    goos, goarch = go_os(), go_arch()
    by_os: PlatformCommand | None = None
    generic: PlatformCommand | None = None
    for item in commands:
        if item.os.lower() == goos and item.arch.lower() == goarch:
            return item
        if (item.os and item.os.lower() != goos) or item.arch:
            continue
        if item.os and by_os is None:
            by_os = item
        elif not item.os and generic is None:
            generic = item
    return by_os or generic


def prepare(commands: Sequence[PlatformCommand], env: Mapping[str, str], *,
            expand_args: bool = True, extra_args: Sequence[str] = ()) -> list[str]:
    """Helm's PrepareCommands: the argv of the platform command that fits."""
    chosen = choose(commands)
    parts = chosen.command.split(" ") if chosen is not None else []
    if not parts or not parts[0]:
        raise PluginError("no plugin command is applicable")
    assert chosen is not None

    def lookup(name: str) -> str:
        return env.get(name, "")

    args = [*parts[1:], *chosen.args]
    if expand_args:
        args = [expand(a, lookup) for a in args]
    return [expand(parts[0], lookup), *args, *extra_args]


def plugin_env(plugin: Plugin, extra: Mapping[str, str] | None = None,
               base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a plugin runs in: ``base`` (this process's), then ``extra``, then
    the plugin's own name and directory."""
    return {**(os.environ if base is None else base), **(extra or {}),
            "HELM_PLUGIN_NAME": plugin.name, "HELM_PLUGIN_DIR": str(plugin.directory)}


def _subprocess(plugin: Plugin) -> SubprocessConfig:
    config = plugin.metadata.runtime_config
    if config is None:
        raise PluginError(f'plugin "{plugin.name}": runtime {plugin.metadata.runtime} is not '
                          "supported by pyhelm (subprocess only)")
    return config


def _start_error(argv: Sequence[str], exc: OSError) -> PluginError:
    """Go's exec error for a command that could not start."""
    if isinstance(exc, FileNotFoundError) and os.sep not in argv[0]:
        return PluginError(f'exec: "{argv[0]}": executable file not found in $PATH')
    return PluginError(f"fork/exec {argv[0]}: {(exc.strerror or str(exc)).lower()}")


def run_hook(plugin: Plugin, event: str) -> None:
    """The plugin's hook for ``install``, ``update`` or ``delete``, if it has one, its
    output on this process's stdout and stderr (Helm's InvokeHook)."""
    config = plugin.metadata.runtime_config
    commands = config.platform_hooks.get(event, ()) if config is not None else ()
    if not commands:
        return
    assert config is not None
    env = plugin_env(plugin)
    argv = prepare(commands, env, expand_args=config.expand_hook_args)
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise _start_error(argv, exc) from None
    if done.returncode != 0:
        raise PluginError(f'plugin {event} hook for "{plugin.name}" exited with error')


def run_cli(plugin: Plugin, args: Sequence[str], extra_env: Mapping[str, str],
            on_start: Callable[[list[str]], None] | None = None) -> None:
    """A CLI plugin with ``args``, sharing this process's stdin, stdout and stderr;
    PluginExitError (with the plugin's exit code) when it fails. ``on_start`` is told
    the command line first."""
    env = plugin_env(plugin, extra_env)
    argv = prepare(_subprocess(plugin).platform_command, env, extra_args=args)
    if on_start is not None:
        on_start(argv)
    try:
        code = subprocess.run(argv, env=env, check=False).returncode
    except OSError as exc:
        raise _start_error(argv, exc) from None
    if code != 0:
        # a plugin killed by a signal: Go's ExitCode() is -1, which Helm exits with (255)
        raise PluginExitError(f'plugin "{plugin.name}" exited with error',
                              code if code > 0 else 255)


def run_filter(plugin: Plugin, data: bytes, args: Sequence[str]) -> bytes:
    """A post-renderer: ``data`` on its stdin, its stdout returned, its stderr not
    shown (as Helm does not show it)."""
    env = plugin_env(plugin)
    argv = prepare(_subprocess(plugin).platform_command, env, extra_args=args)
    try:
        done = subprocess.run(argv, input=data, env=env, capture_output=True, check=False)
    except OSError as exc:
        raise _start_error(argv, exc) from None
    if done.returncode != 0:
        raise PluginExitError(f'plugin "{plugin.name}" exited with error', done.returncode)
    return bytes(done.stdout)


def run_getter(plugin: Plugin, protocol: str, href: str, *, cert_file: str = "",
               key_file: str = "", ca_file: str = "", username: str = "",
               password: str = "", pass_credentials: bool = False,
               extra_env: Mapping[str, str] | None = None, limit: int = 1 << 30) -> bytes:
    """A getter: the protocol's command (relative to the plugin's directory, arguments
    not expanded) with ``CERT KEY CA URL`` after its own arguments; what it prints is
    the content (a getter that prints more than ``limit`` bytes is stopped). Its
    stderr is this process's."""
    config = _subprocess(plugin)
    found = next((c for c in config.protocol_commands if protocol in c.protocols), None)
    if found is None:
        raise PluginError(f'no downloader found for protocol "{protocol}"')
    env = plugin_env(plugin, {
        **(extra_env or {}), "HELM_PLUGIN_USERNAME": username,
        "HELM_PLUGIN_PASSWORD": password,
        "HELM_PLUGIN_PASS_CREDENTIALS_ALL": "true" if pass_credentials else "false"})
    try:
        argv = prepare(found.platform_command, env, expand_args=False)
    except PluginError as exc:
        raise PluginError(f'failed to prepare commands for protocol "{protocol}": {exc}'
                          ) from None
    # Go's filepath.Join: an absolute command is still put under the plugin directory
    argv = [os.path.normpath(f"{plugin.directory}/{argv[0]}"), *argv[1:], cert_file,
            key_file, ca_file, href]
    try:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise _start_error(argv, exc) from None
    with process:
        assert process.stdout is not None
        data = process.stdout.read(limit + 1)
        if len(data) > limit:
            process.kill()
            raise PluginError(f"{href}: the getter printed more than {limit} bytes")
    if process.returncode != 0:
        raise PluginExitError(f'plugin "{plugin.name}" exited with error', process.returncode)
    return bytes(data)

