"""``--post-renderer``: a program that rewrites the rendered documents before they are used.

As Helm 4.1: NAME is a plugin of type ``postrenderer/v1`` found in the plugin
directories (``$HELM_PLUGINS``, a path list; the first match wins), run with its
``subprocess`` runtime: the platform command that fits this OS and architecture, its
``$VAR``s expanded from the environment plus ``HELM_PLUGIN_NAME`` and
``HELM_PLUGIN_DIR``, then the ``--post-renderer-args``. It reads the whole stream of
manifests and hooks (not CRDs, not NOTES.txt) on stdin and prints the new stream;
its stderr is not shown, as Helm does not show it. Helm 3's form is kept for scripts
written for it: when no such plugin exists, NAME may be an executable's path or a
name on $PATH, run with the same stream and arguments.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pyhelm import yamlio
from pyhelm.engine import postrender_stream
from pyhelm.engine.manifest import (
    Rendered,
    install_order,
    list_hooks,
    split_hooks,
)
from pyhelm.errors import RenderError, UsageError

PLUGIN_TYPE = "postrenderer/v1"
_RUN_ERROR = "error while running post render on files"


@dataclass(frozen=True)
class PostRenderer:
    """A resolved post-renderer: the command to run and what it was found as."""

    name: str
    command: tuple[str, ...]
    kind: str  # "plugin" or "executable"
    plugin_dir: Path | None = None

    @classmethod
    def find(cls, name: str, args: Sequence[str] = (),
             plugin_dirs: Sequence[Path] | None = None) -> PostRenderer:
        """The plugin named ``name``, else the executable (path or name on $PATH).
        ``plugin_dirs`` None: $HELM_PLUGINS (or Helm's data dir), as the CLI reads it."""
        if plugin_dirs is None:
            from pyhelm.settings import Settings

            plugin_dirs = Settings.from_environ().plugin_dirs
        for directory in plugin_dirs:
            found = _find_plugin(directory, name)
            if found is not None:
                plugin, meta = found
                command = _plugin_command(plugin, meta, name)
                return cls(name, (*command, *args), "plugin", plugin)
        executable = _executable(name)
        if executable is None:
            raise UsageError(f'invalid argument "{name}" for "--post-renderer" flag: plugin: '
                             f"{{Name:{name} Type:{PLUGIN_TYPE}}} not found (nor an executable "
                             "of that name)")
        return cls(name, (executable, *args), "executable")

    def run(self, stream: str) -> str:
        env = dict(os.environ)
        if self.plugin_dir is not None:
            env.update(HELM_PLUGIN_NAME=self.name, HELM_PLUGIN_DIR=str(self.plugin_dir))
        try:
            done = subprocess.run(list(self.command), input=stream.encode(), env=env,
                                  capture_output=True, check=False)
        except OSError as exc:
            raise RenderError(f"{_RUN_ERROR}: failed to invoke post-renderer {self.kind} "
                              f'"{self.name}": {exc.strerror}: {self.command[0]}') from None
        if done.returncode != 0 and self.kind == "plugin":
            raise RenderError(f"{_RUN_ERROR}: failed to invoke post-renderer plugin "
                              f'"{self.name}": plugin "{self.name}" exited with error')
        if done.returncode != 0:
            raise RenderError(f"{_RUN_ERROR}: post-renderer executable {self.command[0]} "
                              f"exited with status {done.returncode}")
        output = done.stdout.decode("utf-8", errors="replace")
        if not output.strip():
            raise RenderError(f'{_RUN_ERROR}: post-renderer "{self.name}" produced empty '
                              "output")
        return output


def post_render(rendered: Rendered, renderer: PostRenderer) -> Rendered:
    """``rendered`` with its manifests and hooks replaced by what the renderer made of
    them, sorted again as Helm sorts a render."""
    files = dict(rendered.templates) or _files_of(rendered)
    new_files = postrender_stream.split(renderer.run(postrender_stream.merge(files)))
    from pyhelm.engine.documents import parse_manifests

    manifests, hooks = split_hooks(
        m for name in sorted(new_files) for m in parse_manifests(new_files[name], name))
    return replace(rendered, manifests=tuple(install_order(manifests)),
                   hooks=tuple(list_hooks(hooks)), templates=new_files)


def _files_of(rendered: Rendered) -> dict[str, str]:
    """Helm's engine answers with sorted documents, not files: each file is rebuilt from
    its documents (in that order)."""
    files: dict[str, list[str]] = {}
    for manifest in [*rendered.manifests, *(h.manifest for h in rendered.hooks)]:
        files.setdefault(manifest.template, []).append(manifest.content)
    return {name: "\n---\n".join(docs) for name, docs in files.items()}


def _find_plugin(directory: Path, name: str) -> tuple[Path, Mapping[str, object]] | None:
    """The plugin's directory and its plugin.yaml, read once."""
    try:
        candidates = sorted(directory.glob("*/plugin.yaml"))
    except OSError:
        return None
    for path in candidates:
        meta = _metadata(path)
        if meta.get("name") == name and meta.get("type") == PLUGIN_TYPE:
            return path.parent, meta
    return None


def _metadata(path: Path) -> Mapping[str, object]:
    """plugin.yaml, or nothing when it cannot be read (Helm skips such plugins)."""
    try:
        loaded = yamlio.load(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) and loaded.get("apiVersion") == "v1" else {}


def _plugin_command(plugin_dir: Path, meta: Mapping[str, object], name: str) -> list[str]:
    if meta.get("runtime", "subprocess") != "subprocess":
        raise UsageError(f'post-renderer plugin "{name}": runtime {meta.get("runtime")} is not '
                         "supported by pyhelm (subprocess only)")
    config = meta.get("runtimeConfig")
    commands = config.get("platformCommand") if isinstance(config, dict) else None
    chosen = _platform_command(commands if isinstance(commands, list) else [])
    parts = str(chosen.get("command") or "").split(" ") if chosen is not None else [""]
    if chosen is None or not parts[0]:
        raise UsageError(f'post-renderer plugin "{name}": failed to prepare plugin command: '
                         "no plugin command is applicable")
    env = {**os.environ, "HELM_PLUGIN_NAME": name, "HELM_PLUGIN_DIR": str(plugin_dir)}
    listed = chosen.get("args")
    args = [str(a) for a in listed] if isinstance(listed, list) else []
    return [_expand(parts[0], env), *(_expand(p, env) for p in [*parts[1:], *args])]


def _platform_command(commands: list[object]) -> dict[str, object] | None:
    """Helm's choice: exact os+arch, else the first with this os and no arch, else the
    first with neither."""
    goos = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform,
                                                                         sys.platform)
    machine = platform.machine().lower()
    goarch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    by_os: dict[str, object] | None = None
    generic: dict[str, object] | None = None
    for item in commands:
        if not isinstance(item, dict):
            continue
        os_name, arch = str(item.get("os") or ""), str(item.get("arch") or "")
        if os_name.lower() == goos and arch.lower() == goarch:
            return item
        if (os_name and os_name.lower() != goos) or arch:
            continue
        if os_name and by_os is None:
            by_os = item
        elif not os_name and generic is None:
            generic = item
    return by_os or generic


_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+))")


def _expand(text: str, env: Mapping[str, str]) -> str:
    """Go's os.Expand: $NAME and ${NAME}, unknown names empty."""
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def _executable(name: str) -> str | None:
    if os.sep in name or (os.altsep and os.altsep in name):
        path = Path(name)
        return str(path.resolve()) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(name)
