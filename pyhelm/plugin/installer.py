"""Installing, updating and removing plugins where Helm 4.3 puts and looks for them.

Helm's installers do not all agree on the directory, and pyhelm keeps their choices so
that both tools see the same plugins:

- a local directory is symlinked as ``$HELM_DATA_HOME/plugins/BASENAME``;
- a tarball (local file or http(s) URL) is unpacked into
  ``$HELM_DATA_HOME/plugins/NAME`` (NAME from the file name, ``NAME-1.2.3.tgz``), and
  the tarball itself, with its ``.prov`` when there is one, is kept beside it as
  ``PLUGIN-VERSION.tgz`` (from its plugin.yaml) for ``plugin list``'s PROVENANCE;
- a git repository is copied to ``$HELM_PLUGINS/BASENAME`` (the variable as one path);
- ``uninstall`` and ``update`` look in ``$HELM_PLUGINS`` taken as one directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyhelm.errors import PluginError
from pyhelm.plugin import archive, runtime, vcs
from pyhelm.plugin.loader import Plugin, load_dir
from pyhelm.plugin.metadata import PLUGIN_FILE

NOT_A_DIRECTORY = "expected plugin to be a directory (containing a file 'plugin.yaml')"
MISSING_METADATA = "plugin metadata (plugin.yaml) missing"


@dataclass(frozen=True)
class Locations:
    """Helm's directories for plugins, from the settings."""

    data_home: Path
    cache_home: Path
    plugins_variable: str  # $HELM_PLUGINS as written (default: DATA_HOME/plugins)

    @property
    def data_plugins(self) -> Path:
        return self.data_home / "plugins"

    @property
    def plugins_directory(self) -> Path:
        """$HELM_PLUGINS as one directory, as Helm's installers and uninstall use it."""
        return Path(self.plugins_variable)


def ensure_absent(target: Path) -> None:
    """Helm refuses to install over anything that exists at the target (a symlink to
    nothing counts as nothing, as os.Stat sees it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise PluginError("plugin already exists")


def link_directory(source: Path, target: Path) -> None:
    """A local plugin directory, installed as a symlink to it (development mode)."""
    if not source.exists():
        raise PluginError(f"stat {source}: no such file or directory")
    if not source.is_dir():
        raise PluginError(NOT_A_DIRECTORY)
    if not (source / PLUGIN_FILE).exists():
        raise PluginError(MISSING_METADATA)
    target.symlink_to(source)


def keep_tarball(data: bytes, provenance: bytes | None, source: str,
                 locations: Locations) -> None:
    """The tarball (and .prov) as PLUGIN-VERSION.tgz in the data home's plugins."""
    try:
        meta = archive.read_metadata(data, source)
    except PluginError as exc:
        raise PluginError(f"failed to extract plugin metadata from tarball: {exc}") from None
    tarball = locations.data_plugins / f"{meta.name}-{meta.version}.tgz"
    tarball.parent.mkdir(parents=True, exist_ok=True)
    tarball.write_bytes(data)
    if provenance is not None:
        Path(f"{tarball}.prov").write_bytes(provenance)


def unpack_local_archive(data: bytes, source: Path, target: Path) -> None:
    """A local tarball: its top directory must be named as the file (NAME/plugin.yaml
    in NAME-1.2.3.tgz), and that directory becomes the plugin."""
    with tempfile.TemporaryDirectory(prefix="helm-plugin-extract-") as temp:
        try:
            archive.unpack(data, Path(temp), str(source))
        except PluginError as exc:
            raise PluginError(f"failed to extract archive: {exc}") from None
        root = Path(temp) / archive.plugin_name_of(source.name)
        if not (root / PLUGIN_FILE).exists():
            raise PluginError(f"plugin.yaml not found in expected directory {root}: stat "
                              f"{root / PLUGIN_FILE}: no such file or directory")
        copy_directory(root, target)


def unpack_downloaded_archive(data: bytes, url: str, target: Path) -> None:
    """A downloaded tarball: plugin.yaml at its top or one directory down."""
    with tempfile.TemporaryDirectory(prefix="helm-plugin-download-") as temp:
        try:
            archive.unpack(data, Path(temp), url)
        except PluginError as exc:
            raise PluginError(f"extracting files from archive: {exc}") from None
        copy_directory(_plugin_root(Path(temp)), target)


def _plugin_root(directory: Path) -> Path:
    if (directory / PLUGIN_FILE).exists():
        return directory
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.is_dir() and not entry.is_symlink() and (entry / PLUGIN_FILE).exists():
            return entry
    raise PluginError(f"plugin.yaml not found in {directory} or its immediate subdirectories")


def install_from_git(remote: str, version: str, target: Path, locations: Locations) -> None:
    """Clone (or update) the repository in Helm's cache, check out ``version``, copy."""
    local = locations.cache_home / "plugins" / vcs.cache_key(remote)
    vcs.sync(remote, local)
    reference = vcs.solve_version(local, remote, version)
    if reference:
        vcs.checkout(local, reference)
    if not (local / PLUGIN_FILE).exists():
        raise PluginError(MISSING_METADATA)
    copy_directory(local, target)


def copy_directory(source: Path, target: Path) -> None:
    """dep's fs.CopyDir as Helm uses it: a new directory, symlinks copied as links."""
    if target.exists() or target.is_symlink():
        raise PluginError("destination already exists")
    shutil.copytree(source, target, symlinks=True)


def uninstall(plugin: Plugin, locations: Locations) -> None:
    """The plugin's directory (a symlink: the link only), its kept tarball and .prov,
    then its ``delete`` hook."""
    if plugin.directory.is_symlink():
        plugin.directory.unlink()
    elif plugin.directory.exists():
        shutil.rmtree(plugin.directory)
    if plugin.metadata.version:
        base = locations.plugins_directory / f"{plugin.name}-{plugin.metadata.version}.tgz"
        for path in (base, Path(f"{base}.prov")):
            if path.exists():
                path.unlink()
    runtime.run_hook(plugin, "delete")


def update(plugin: Plugin, locations: Locations) -> None:
    """A plugin installed from git is pulled again (refused when its checkout was
    changed), then its ``update`` hook runs; any other install cannot be updated. As in
    Helm, the plugin is then loaded from $HELM_PLUGINS/BASENAME of its remote."""
    location = Path(os.path.realpath(plugin.directory))
    if not vcs.is_repository(location):
        raise PluginError("cannot get information about plugin source")
    remote = vcs.remote_of(location)
    installed = locations.plugins_directory / os.path.basename(remote.rstrip("/"))
    if not installed.exists():
        raise PluginError("plugin does not exist")
    if vcs.is_dirty(location):
        raise PluginError("plugin repo was modified")
    vcs.update(location)
    if not (location / PLUGIN_FILE).exists():
        raise PluginError(MISSING_METADATA)
    runtime.run_hook(load_dir(installed), "update")
