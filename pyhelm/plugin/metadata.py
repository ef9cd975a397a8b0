"""``plugin.yaml`` in either layout, read into one ``Metadata`` as Helm 4.3 reads it.

Helm 4's layout says ``apiVersion: v1`` and carries ``type`` (``cli/v1``, ``getter/v1``,
``postrenderer/v1``), ``runtime`` (``subprocess``; ``extism/v1`` is Wasm), a typed
``config`` and a ``runtimeConfig``; it is decoded strictly (an unknown key is an
error). The legacy Helm 3 layout has no ``apiVersion``: it is a ``cli/v1`` plugin (a
``getter/v1`` one when it lists ``downloaders``) whose ``usage``/``description`` become
the short and long help, whose ``command``/``platformCommand`` and ``hooks`` become the
subprocess runtime's, and it is listed with APIVERSION ``legacy``. The checks and their
messages are Helm's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from pyhelm.chart import semver
from pyhelm.plugin.yaml_decode import DecodeError, Decoder, compose

PLUGIN_FILE = "plugin.yaml"
TYPES = ("test/v1", "cli/v1", "getter/v1", "postrenderer/v1")
RUNTIMES = ("subprocess", "extism/v1")
_NAME = re.compile(r"[A-Za-z0-9_-]+")


class MetadataError(ValueError):
    """plugin.yaml that Helm would refuse to load; the message is Helm's."""


@dataclass(frozen=True)
class PlatformCommand:
    """One entry of ``platformCommand``: the command for an OS and architecture."""

    os: str = ""
    arch: str = ""
    command: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProtocolCommand:
    """A getter's command for some URL schemes (legacy ``downloaders``)."""

    protocols: tuple[str, ...]
    platform_command: tuple[PlatformCommand, ...]


@dataclass(frozen=True)
class SubprocessConfig:
    """The ``subprocess`` runtime's configuration."""

    platform_command: tuple[PlatformCommand, ...] = ()
    platform_hooks: Mapping[str, tuple[PlatformCommand, ...]] = field(default_factory=dict)
    protocol_commands: tuple[ProtocolCommand, ...] = ()
    # Helm expands $VARs in hook arguments only for a legacy plugin's platformHooks (a v1
    # plugin's flag is never set; legacy ``hooks:`` run as ``sh -c`` unexpanded)
    expand_hook_args: bool = False


@dataclass(frozen=True)
class CLIConfig:
    usage: str = ""
    short_help: str = ""
    long_help: str = ""
    ignore_flags: bool = False


@dataclass(frozen=True)
class GetterConfig:
    protocols: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmptyConfig:
    """The config of ``postrenderer/v1`` and ``test/v1``: no keys."""


Config = CLIConfig | GetterConfig | EmptyConfig


@dataclass(frozen=True)
class Metadata:
    api_version: str  # "v1", or "legacy" for Helm 3's layout
    name: str
    type: str
    runtime: str
    version: str = ""
    source_url: str = ""
    config: Config = field(default_factory=EmptyConfig)
    runtime_config: SubprocessConfig | None = None  # None: a runtime pyhelm cannot run


def parse(data: bytes | str) -> Metadata:
    """plugin.yaml's text as Helm's loadMetadata reads it."""
    try:
        root = compose(data)
        api_version = _peek_api_version(root)
        if api_version == "":
            return _legacy(root)
        if api_version == "v1":
            return _v1(root)
    except DecodeError as exc:
        raise MetadataError(str(exc)) from None
    raise MetadataError(f'invalid plugin apiVersion: "{api_version}"')


def _peek_api_version(root: yaml.Node | None) -> str:
    if root is None:
        raise MetadataError("failed to peek plugin.yaml API version: EOF")
    decoder = Decoder(strict=False)
    try:
        value = decoder.string(decoder.fields(root, ("apiVersion",), "plugin.apiVersion")
                               .get("apiVersion"))
        decoder.check()
    except DecodeError as exc:
        raise MetadataError(f"failed to peek plugin.yaml API version: {exc}") from None
    return value


# ---------------------------------------------------------------- Helm 3's layout
_LEGACY_FIELDS = ("name", "version", "usage", "description", "platformCommand", "command",
                  "ignoreFlags", "platformHooks", "hooks", "downloaders")


def _legacy(root: yaml.Node | None) -> Metadata:
    d = Decoder(strict=False)
    f = d.fields(root, _LEGACY_FIELDS, "plugin.MetadataLegacy")
    name, version = d.string(f.get("name")), d.string(f.get("version"))
    usage, description = d.string(f.get("usage")), d.string(f.get("description"))
    commands = _platform_commands(d, f.get("platformCommand"))
    command = d.string(f.get("command"))
    ignore_flags = d.boolean(f.get("ignoreFlags"))
    platform_hooks = _platform_hooks(d, f.get("platformHooks"))
    hooks = {key: d.string(value) for key, value in
             d.fields(f.get("hooks"), _AnyKey(), "plugin.Hooks").items()}
    downloaders = [(d.strings(g.get("protocols")), d.string(g.get("command"))) for g in (
        d.fields(item, ("protocols", "command"), "plugin.Downloaders")
        for item in d.sequence(f.get("downloaders"), "[]plugin.Downloaders"))]
    d.check()

    if not _NAME.fullmatch(name):
        raise MetadataError(f'invalid plugin name "{name}": must contain only a-z, A-Z, '
                            "0-9, _ and -")
    if version and not valid_semver(version):
        raise MetadataError(f'invalid plugin version "{version}": must be valid semver')
    if commands and command:
        raise MetadataError("both platformCommand and command are set")
    if platform_hooks and hooks:
        raise MetadataError("both platformHooks and hooks are set")
    for index, (protocols, downloader_command) in enumerate(downloaders):
        if not downloader_command:
            raise MetadataError(f"downloader {index} has empty command")
        if not protocols:
            raise MetadataError(f"downloader {index} has no protocols")
        for position, protocol in enumerate(protocols):
            if not protocol:
                raise MetadataError(f"downloader {index} has empty protocol at index "
                                    f"{position}")

    if not commands and command:
        commands = (PlatformCommand(command=command),)
    expand = True
    if not platform_hooks and hooks:
        platform_hooks = {event: (PlatformCommand(command="sh", args=("-c", text)),)
                          for event, text in hooks.items()}
        expand = False
    runtime = SubprocessConfig(
        platform_command=commands, platform_hooks=platform_hooks, expand_hook_args=expand,
        protocol_commands=tuple(ProtocolCommand(p, (PlatformCommand(command=c),))
                                for p, c in downloaders))
    config: Config
    if downloaders:
        config = GetterConfig(tuple(p for protocols, _ in downloaders for p in protocols))
    else:
        config = CLIConfig(short_help=_sanitize(usage), long_help=description,
                           ignore_flags=ignore_flags)
    return _validated(Metadata(api_version="legacy", name=name, version=version,
                               type="getter/v1" if downloaders else "cli/v1",
                               runtime="subprocess", config=config, runtime_config=runtime))


def _sanitize(text: str) -> str:
    """Helm's sanitizeString: every space character a space, unprintables dropped."""
    return "".join(" " if c.isspace() else c for c in text
                   if c.isspace() or unicodedata.category(c)[0] in "LMNPS")


# ---------------------------------------------------------------- Helm 4's layout
_V1_FIELDS = ("apiVersion", "name", "type", "runtime", "version", "sourceURL", "config",
              "runtimeConfig")
_CONFIG_FIELDS = {"cli/v1": ("usage", "shortHelp", "longHelp", "ignoreFlags"),
                  "getter/v1": ("protocols",), "postrenderer/v1": (), "test/v1": ()}
_CONFIG_TYPE = {"cli/v1": "schema.ConfigCLIV1", "getter/v1": "schema.ConfigGetterV1",
                "postrenderer/v1": "schema.ConfigPostRendererV1",
                "test/v1": "schema.ConfigTestV1"}


def _v1(root: yaml.Node | None) -> Metadata:
    d = Decoder(strict=True)
    f = d.fields(root, _V1_FIELDS, "plugin.MetadataV1")
    values = {key: d.string(f.get(key)) for key in
              ("apiVersion", "name", "type", "runtime", "version", "sourceURL")}
    for key in ("config", "runtimeConfig"):
        d.fields(f.get(key), _AnyKey(), "map[string]interface {}")
    d.check()
    name, version, kind, runtime = (values[k] for k in ("name", "version", "type", "runtime"))
    if not _NAME.fullmatch(name):
        raise MetadataError("invalid plugin `name`")
    if not version:
        raise MetadataError("plugin `version` is required")
    if not valid_semver(version):
        raise MetadataError(f'invalid plugin `version` "{version}": must be valid semver')
    if values["apiVersion"] != "v1":
        raise MetadataError(f'invalid `apiVersion`: "{values["apiVersion"]}"')
    if not kind:
        raise MetadataError("`type` missing")
    if not runtime:
        raise MetadataError("`runtime` missing")
    return _validated(Metadata(
        api_version="v1", name=name, type=kind, runtime=runtime, version=version,
        source_url=values["sourceURL"], config=_config(kind, f.get("config")),
        runtime_config=_runtime_config(runtime, f.get("runtimeConfig"))))


def _config(kind: str, node: yaml.Node | None) -> Config:
    if kind not in _CONFIG_FIELDS:
        raise MetadataError(f'failed to convert MetadataV1 to Metadata: unknown plugin type '
                            f'"{kind}"')
    d = Decoder(strict=True)
    f = d.fields(node, _CONFIG_FIELDS[kind], _CONFIG_TYPE[kind])
    config: Config = EmptyConfig()
    if kind == "cli/v1":
        config = CLIConfig(usage=d.string(f.get("usage")), short_help=d.string(
            f.get("shortHelp")), long_help=d.string(f.get("longHelp")),
            ignore_flags=d.boolean(f.get("ignoreFlags")))
    elif kind == "getter/v1":
        config = GetterConfig(d.strings(f.get("protocols")))
    try:
        d.check()
    except DecodeError as exc:
        raise MetadataError(f"failed to convert MetadataV1 to Metadata: {exc}") from None
    return config


def _runtime_config(runtime: str, node: yaml.Node | None) -> SubprocessConfig | None:
    if runtime not in RUNTIMES:
        raise MetadataError("failed to convert MetadataV1 to Metadata: unsupported plugin "
                            f'runtime type: "{runtime}"')
    if runtime != "subprocess":
        return None
    d = Decoder(strict=False)
    f = d.fields(node, ("platformCommand", "platformHooks", "protocolCommands"),
                 "plugin.RuntimeConfigSubprocess")
    protocol_commands = tuple(
        ProtocolCommand(d.strings(g.get("protocols")),
                        _platform_commands(d, g.get("platformCommand")))
        for g in (d.fields(item, ("protocols", "platformCommand"),
                           "plugin.SubprocessProtocolCommand")
                  for item in d.sequence(f.get("protocolCommands"),
                                         "[]plugin.SubprocessProtocolCommand")))
    config = SubprocessConfig(platform_command=_platform_commands(d, f.get("platformCommand")),
                              platform_hooks=_platform_hooks(d, f.get("platformHooks")),
                              protocol_commands=protocol_commands)
    try:
        d.check()
    except DecodeError as exc:
        raise MetadataError("failed to convert MetadataV1 to Metadata: failed to unmarshal "
                            f"runtimeConfig for subprocess runtime: {exc}") from None
    return config


# ---------------------------------------------------------------- shared
def _platform_commands(d: Decoder, node: yaml.Node | None) -> tuple[PlatformCommand, ...]:
    return tuple(
        PlatformCommand(os=d.string(g.get("os")), arch=d.string(g.get("arch")),
                        command=d.string(g.get("command")), args=d.strings(g.get("args")))
        for g in (d.fields(item, ("os", "arch", "command", "args"), "plugin.PlatformCommand")
                  for item in d.sequence(node, "[]plugin.PlatformCommand")))


def _platform_hooks(d: Decoder, node: yaml.Node | None
                    ) -> dict[str, tuple[PlatformCommand, ...]]:
    return {event: _platform_commands(d, value)
            for event, value in d.fields(node, _AnyKey(), "plugin.PlatformHooks").items()}


class _AnyKey(frozenset[str]):
    """Every key is known (the keys of a Go map)."""

    def __contains__(self, key: object) -> bool:
        return True


def valid_semver(text: str) -> bool:
    """Masterminds' StrictNewVersion: SemVer 2 exactly, no leading ``v``."""
    return not text.startswith("v") and text == text.strip() and semver.is_valid(text)


def _validated(meta: Metadata) -> Metadata:
    """Helm's Metadata.Validate, whose errors are reported together."""
    errors = []
    if not _NAME.fullmatch(meta.name):
        errors.append(f'invalid plugin name "{meta.name}": must contain only a-z, A-Z, 0-9, '
                      "_ and -")
    if meta.version and not valid_semver(meta.version):
        errors.append(f'invalid plugin version "{meta.version}": must be valid semver')
    if isinstance(meta.config, GetterConfig):
        if not meta.config.protocols:
            errors.append("config validation failed: getter has no protocols")
        for index, protocol in enumerate(meta.config.protocols):
            if not protocol:
                errors.append("config validation failed: getter has empty protocol at "
                              f"index {index}")
                break
    if errors:
        raise MetadataError("\n".join(errors))
    return meta
