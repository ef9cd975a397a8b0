"""Plugin verbs: list, install, uninstall, update, package, verify (Helm 4.3's
``helm plugin ...``).

Data in, data out: the CLI passes the plugin directories and Helm's homes from its
settings, and two callbacks for what Helm prints while it works (``say`` for its stdout
lines, ``warn`` for its log lines); what a hook prints goes straight to stdout, between
them, as in Helm. Errors are PluginError with Helm's text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError

from pyhelm.errors import PluginError, ProvenanceError, RepoError
from pyhelm.helm_reference import HELM_DIFF_VERSION
from pyhelm.plugin import archive, installer, loader, runtime, signing, vcs
from pyhelm.plugin.installer import Locations
from pyhelm.repo.provenance import Verification

Say = Callable[[str], None]
Warn = Callable[..., None]  # (message, **attributes)
MAX_PLUGIN_DOWNLOAD = 512 * 1024 * 1024
_DONE = {"uninstall": "Uninstalled", "update": "Updated"}


@dataclass(frozen=True)
class ListedPlugin:
    """One row of ``plugin list``."""

    name: str
    version: str
    type: str
    api_version: str
    provenance: str
    source: str


# what pyhelm provides itself, listed after the installed plugins unless one of them
# has the name (it then answers the command instead)
BUILT_IN = (ListedPlugin(name="diff", version=HELM_DIFF_VERSION, type="cli/v1",
                         api_version="legacy", provenance="built-in",
                         source="https://github.com/databus23/helm-diff"),)


def list_plugins(directories: Sequence[Path], *, data_home: Path, kind: str = "",
                 on_skip: loader.OnSkip | None = None,
                 built_in: Sequence[ListedPlugin] = ()) -> list[ListedPlugin]:
    """The plugins of ``directories`` (of type ``kind`` when given), as Helm lists them,
    then those of ``built_in`` that no installed plugin shadows."""
    installed = loader.find_plugins(directories, on_skip=on_skip)
    names = {p.name for p in installed}
    return [*(ListedPlugin(name=p.name, version=p.metadata.version, type=p.metadata.type,
                           api_version=p.metadata.api_version,
                           provenance=signing.status(p.name, p.metadata.version, data_home),
                           source=p.metadata.source_url or "unknown")
              for p in installed if not kind or p.metadata.type == kind),
            *(b for b in built_in if b.name not in names and (not kind or b.type == kind))]


# ------------------------------------------------------------------ install
@dataclass(frozen=True, kw_only=True)
class InstallOptions:
    source: str
    version: str = ""
    verify: bool = True
    keyring: str = ""  # --keyring (default: Helm's)


def install_plugin(options: InstallOptions, locations: Locations, *, say: Say,
                   warn: Warn) -> loader.Plugin:
    """Install from a local directory (symlinked), a local or http(s) tarball, or a git
    repository; run the plugin's install hook."""
    source = options.source
    kind = _source_kind(source)
    verify = options.verify
    if kind == "directory":
        verify = False
        say("Installing plugin from local directory (development mode)")
    elif verify and not (kind == "archive" or (kind == "http" and archive.is_archive(source))):
        raise PluginError("plugin source does not support verification. Use --verify=false "
                          "to skip verification")
    elif not verify:
        say("WARNING: Skipping plugin signature verification")
    if verify:
        say("Verifying plugin signature...")
    target = _target(kind, source, locations)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        warn("plugin already exists", path=target, error="<nil>")
        raise PluginError("plugin already exists")
    data, provenance = _fetch(kind, source)
    verification = None
    if verify:
        if not provenance:
            raise PluginError("plugin verification failed: no provenance file (.prov) found")
        verification = _verify_data(data, provenance, _basename(source), options.keyring,
                                    "plugin verification failed: ")
    _install(kind, source, options.version, target, locations, data, provenance)
    if verification is not None:
        for name in verification.signed_by:
            say(f"Signed by: {name}")
        say(f"Using Key With Fingerprint: {verification.fingerprint}")
        say(f"Plugin Hash Verified: {verification.file_hash}")
    try:
        plugin = loader.load_dir(target)
    except PluginError as exc:
        raise PluginError(f"plugin is installed but unusable: {exc}") from None
    runtime.run_hook(plugin, "install")
    say(f"Installed plugin: {plugin.name}")
    return plugin


def _source_kind(source: str) -> str:
    if source.startswith("oci://"):
        raise PluginError("installing plugins from OCI registries is not supported by "
                          "pyhelm yet")
    if os.path.exists(source):
        return "archive" if archive.is_archive(source) else "directory"
    if source.startswith(("http://", "https://")) and (
            archive.is_archive(source) or _serves_archive(source)):
        return "http"
    if vcs.is_git(source):
        return "git"
    raise PluginError(f'cannot get information about plugin source "{source}" (if it\'s a '
                      f"local directory, does it exist?), last error was: {vcs.CANNOT_DETECT}")


def _serves_archive(url: str) -> bool:
    """Helm asks the server (HEAD) when the URL does not end as an archive."""
    import urllib.request

    from pyhelm.repo.http_access import open_url

    try:
        with open_url(urllib.request.Request(url, method="HEAD"), timeout=30) as response:
            kind = (response.headers.get("content-type") or "").lower()
    except (OSError, ValueError):
        return False
    return kind in ("application/gzip", "application/x-gzip", "application/x-tgz",
                    "application/x-gtar")


def _target(kind: str, source: str, locations: Locations) -> Path:
    base = os.path.basename(os.path.abspath(source) if kind in ("archive", "directory")
                            else source.rstrip("/"))
    if kind == "git":
        return locations.plugins_directory / base
    if kind == "directory":
        return locations.data_plugins / base
    return locations.data_plugins / archive.plugin_name_of(base)


def _fetch(kind: str, source: str) -> tuple[bytes, bytes | None]:
    """A tarball and its .prov (None when there is none)."""
    if kind == "archive":
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise PluginError(f"failed to read archive: {exc.strerror}") from None
        prov = Path(f"{source}.prov")
        return data, prov.read_bytes() if prov.is_file() else None
    if kind == "http":
        from pyhelm.repo.client import fetch

        try:
            data = fetch(source, limit=MAX_PLUGIN_DOWNLOAD)
        except RepoError as exc:
            status = exc.__cause__
            if isinstance(status, HTTPError):  # Helm's http getter says it so
                raise PluginError(f"failed to fetch {source} : {status.code} "
                                  f"{status.reason}") from None
            raise PluginError(str(exc)) from None
        try:
            return data, fetch(f"{source}.prov", limit=1024 * 1024)
        except RepoError:
            return data, None
    return b"", None


def _install(kind: str, source: str, version: str, target: Path, locations: Locations,
             data: bytes, provenance: bytes | None) -> None:
    if kind == "directory":
        installer.link_directory(Path(os.path.abspath(source)), target)
    elif kind == "archive":
        installer.keep_tarball(data, provenance, source, locations)
        installer.unpack_local_archive(data, Path(os.path.abspath(source)), target)
    elif kind == "http":
        installer.keep_tarball(data, provenance, source, locations)
        installer.unpack_downloaded_archive(data, source, target)
    else:
        installer.install_from_git(source, version, target, locations)


# ------------------------------------------------------------------ uninstall, update
def uninstall_plugins(names: Sequence[str], locations: Locations, *, say: Say,
                      on_skip: loader.OnSkip | None = None) -> None:
    """Remove each named plugin of $HELM_PLUGINS (its delete hook runs); the failures
    are reported together at the end."""
    _each(names, locations, "uninstall", lambda p: installer.uninstall(p, locations),
          say=say, on_skip=on_skip)


def update_plugins(names: Sequence[str], locations: Locations, *, say: Say, warn: Warn,
                   on_skip: loader.OnSkip | None = None) -> None:
    """Pull each named plugin again from its git repository (its update hook runs)."""
    def update(plugin: loader.Plugin) -> None:
        try:
            installer.update(plugin, locations)
        except PluginError as exc:
            if str(exc) == "cannot get information about plugin source":
                warn("cannot get information about plugin source",
                     location=os.path.realpath(plugin.directory), error=vcs.CANNOT_DETECT)
            raise

    _each(names, locations, "update", update, say=say, on_skip=on_skip)


def _each(names: Sequence[str], locations: Locations, verb: str,
          act: Callable[[loader.Plugin], None], *, say: Say,
          on_skip: loader.OnSkip | None) -> None:
    if not names:
        raise PluginError(f"please provide plugin name to {verb}")
    plugins = loader.load_all(locations.plugins_directory, on_skip)
    errors = []
    for name in names:
        found = next((p for p in plugins if p.name == name), None)
        if found is None:
            errors.append(f"plugin: {name} not found")
            continue
        try:
            act(found)
        except PluginError as exc:
            errors.append(f"failed to {verb} plugin {name}, got error ({exc})")
        else:
            say(f"{_DONE[verb]} plugin: {name}")
    if errors:
        raise PluginError("\n".join(errors))


# ------------------------------------------------------------------ package, verify
@dataclass(frozen=True, kw_only=True)
class PackageOptions:
    path: str
    destination: str = "."
    sign: bool = True
    key: str = ""
    keyring: str = ""  # default: Helm's (under $GNUPGHOME or ~/.gnupg)
    passphrase: Callable[[str], str] | None = None  # asked with the key's user ID


def _keyring(keyring: str) -> Path:
    from pyhelm.repo.provenance import default_keyring

    return Path(keyring) if keyring else default_keyring()


def _basename(source: str) -> str:
    return source.rstrip("/").rsplit("/", 1)[-1]


def _verify_data(data: bytes, prov: bytes, filename: str, keyring: str, prefix: str = ""
                 ) -> Verification:
    """Helm's VerifyPlugin: the keyring as its loader words errors, then the checks."""
    from pyhelm.repo import provenance

    try:
        return provenance.verify(data, prov, filename,
                                 provenance.read_keyring(_keyring(keyring)))
    except ProvenanceError as exc:
        raise PluginError(f"{prefix}{exc}") from None


def package_plugin(options: PackageOptions, *, say: Say) -> Path:
    """The plugin directory as NAME-VERSION.tgz in ``destination``."""
    source = Path(options.path)
    if not source.exists():
        raise PluginError(f"stat {options.path}: no such file or directory")
    if not source.is_dir():
        raise PluginError("plugin package only supports directories, not tarballs")
    try:
        meta = loader.load_dir(source).metadata
    except PluginError as exc:
        raise PluginError(f"invalid plugin directory: {exc}") from None
    Path(options.destination).mkdir(parents=True, exist_ok=True)
    signer = None
    if options.sign:  # as Helm: the key is found and unlocked before the tarball is made
        from pyhelm.repo import provenance

        try:
            keys = provenance.read_keyring(_keyring(options.keyring))
        except ProvenanceError as exc:
            raise PluginError(f"error reading from keyring: {exc}") from None
        try:
            signer = provenance.prepare_signer(keys, options.key, options.passphrase)
        except ProvenanceError as exc:
            raise PluginError(str(exc)) from None
    else:
        say("WARNING: Skipping plugin signing. This is not recommended for plugins intended "
            "for distribution.")
    target = Path(os.path.normpath(os.path.join(options.destination,
                                                f"{meta.name}-{meta.version}.tgz")))
    data = archive.pack(source, meta.name)
    target.write_bytes(data)
    say(f"Successfully packaged plugin and saved it to: {target}")
    if signer is not None:
        import yaml

        from pyhelm.repo import provenance

        described = yaml.safe_load((source / "plugin.yaml").read_text()) or {}
        try:
            text = provenance.clear_sign(signer, data, target.name,
                                         provenance.metadata_yaml(described))
        except ProvenanceError as exc:
            raise PluginError(f"failed to sign plugin: {exc}") from None
        prov = Path(f"{target}.prov")
        prov.write_text(text)
        say(f"Successfully signed. Signature written to: {prov}")
    return target


def verify_plugin(path: str, keyring: str = "") -> Verification:
    """``plugin verify``: a plugin tarball against its ``.prov``, as Helm checks it."""
    given = Path(path)
    if not given.exists():
        raise PluginError(f"stat {path}: no such file or directory")
    if given.is_dir():
        raise PluginError("directory verification not supported - only plugin tarballs "
                          "can be verified")
    if not path.endswith((".gz", ".tgz")):  # Helm's IsTarball
        raise PluginError("plugin file must be a gzipped tarball (.tar.gz or .tgz)")
    provenance = f"{path}.prov"
    if not Path(provenance).exists():
        raise PluginError(f"could not find provenance file {provenance}: stat {provenance}: "
                          "no such file or directory")
    return _verify_data(given.read_bytes(), Path(provenance).read_bytes(), given.name,
                        keyring)
