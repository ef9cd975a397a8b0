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
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from pyhelm.engine import postrender_stream
from pyhelm.engine.manifest import (
    Rendered,
    install_order,
    list_hooks,
    split_hooks,
)
from pyhelm.errors import PluginError, RenderError, UsageError
from pyhelm.plugin.loader import Plugin

PLUGIN_TYPE = "postrenderer/v1"
_RUN_ERROR = "error while running post render on files"


class StreamRenderer(Protocol):
    """Anything that rewrites the stream of rendered documents: a ``PostRenderer``
    program, or an in-process one (the controller's kustomize and metadata steps)."""

    def run(self, stream: str) -> str:
        """The new stream of YAML documents."""
        ...


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
        from pyhelm.plugin.loader import find_plugins

        found = find_plugins(plugin_dirs, name=name, kind=PLUGIN_TYPE)
        if found:
            return cls(name, (*_plugin_command(found[0]), *args), "plugin", found[0].directory)
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


def post_render(rendered: Rendered, renderer: StreamRenderer) -> Rendered:
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


def _plugin_command(plugin: Plugin) -> list[str]:
    """The plugin's command line, before the --post-renderer-args."""
    from pyhelm.plugin import runtime

    if plugin.metadata.runtime_config is None:
        raise UsageError(f'post-renderer plugin "{plugin.name}": runtime '
                         f"{plugin.metadata.runtime} is not supported by pyhelm (subprocess "
                         "only)")
    try:
        return runtime.prepare(plugin.metadata.runtime_config.platform_command,
                               runtime.plugin_env(plugin))
    except PluginError as exc:
        raise UsageError(f'post-renderer plugin "{plugin.name}": failed to prepare plugin '
                         f"command: {exc}") from None


def _executable(name: str) -> str | None:
    if os.sep in name or (os.altsep and os.altsep in name):
        path = Path(name)
        return str(path.resolve()) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(name)
