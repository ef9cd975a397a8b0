"""Finding plugins: every ``*/plugin.yaml`` one level below each plugins directory.

As Helm's loader: directories are searched in the order of the path list, the plugins of
one directory in name order; a plugin that does not load is skipped with a warning (the
caller decides how to show it), and two plugins of one directory that claim the same name
are an error. A plugin of the same name in a later directory is listed too, but the
first one is the one found by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhelm.errors import PluginError
from pyhelm.plugin.metadata import PLUGIN_FILE, Metadata, MetadataError, parse

# (path of plugin.yaml, Helm's error text) for a plugin that is skipped
OnSkip = Callable[[Path, str], None]


@dataclass(frozen=True)
class Plugin:
    """An installed plugin: its directory (as found, not resolved) and its metadata."""

    directory: Path
    metadata: Metadata

    @property
    def name(self) -> str:
        return self.metadata.name


def load_dir(directory: Path) -> Plugin:
    """The plugin in ``directory``; PluginError with Helm's message when it is not one."""
    path = directory / PLUGIN_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PluginError(f'failed to read plugin at "{path}": open {path}: '
                          f"{_strerror(exc)}") from None
    try:
        return Plugin(directory, parse(data))
    except MetadataError as exc:
        raise PluginError(f'failed to load plugin "{directory}": {exc}') from None


def load_all(base: Path, on_skip: OnSkip | None = None) -> list[Plugin]:
    """The plugins directly under ``base`` (none when it does not exist)."""
    try:
        found = sorted(str(p) for p in base.glob(f"*/{PLUGIN_FILE}"))
    except OSError:
        return []
    plugins = []
    for text in found:
        try:
            plugins.append(load_dir(Path(text).parent))
        except PluginError as exc:
            if on_skip is not None:
                on_skip(Path(text), str(exc))
    _refuse_duplicates(plugins)
    return plugins


def find_plugins(directories: Iterable[Path], *, name: str = "", kind: str = "",
                 on_skip: OnSkip | None = None) -> list[Plugin]:
    """Every plugin of every directory that has ``name`` and ``kind`` (empty: any)."""
    return [plugin for directory in directories for plugin in load_all(directory, on_skip)
            if (not name or plugin.name == name) and (not kind or plugin.metadata.type == kind)]


def find_plugin(directories: Sequence[Path], *, name: str, kind: str,
                on_skip: OnSkip | None = None) -> Plugin:
    """The first plugin called ``name`` of type ``kind``."""
    found = find_plugins(directories, name=name, kind=kind, on_skip=on_skip)
    if not found:
        raise PluginError(f"plugin: {{Name:{name} Type:{kind}}} not found")
    return found[0]


def _refuse_duplicates(plugins: list[Plugin]) -> None:
    seen: dict[str, Path] = {}
    for plugin in plugins:
        if plugin.name in seen:
            raise PluginError(f'two plugins claim the name "{plugin.name}" at '
                              f'"{seen[plugin.name]}" and "{plugin.directory}"')
        seen[plugin.name] = plugin.directory


def _strerror(exc: OSError) -> str:
    """Go's text for the usual errno values (``no such file or directory``)."""
    return (exc.strerror or str(exc)).lower()
