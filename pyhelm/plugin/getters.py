"""Getter plugins: URLs of other schemes (``s3://``, ``gs://``, ...) fetched by the plugin
that declares the scheme, as Helm's getter.All adds plugin getters after http(s).

A ``getter/v1`` plugin lists its schemes in ``config.protocols``; a legacy plugin in its
``downloaders``. The first plugin (in ``$HELM_PLUGINS`` order) that declares the scheme
fetches: its protocol command runs with ``CERT KEY CA URL`` and Helm's environment, and
what it prints is the content (at most ``limit`` bytes are kept).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhelm.errors import PluginError
from pyhelm.plugin import loader, runtime
from pyhelm.plugin.metadata import GetterConfig


@dataclass(frozen=True)
class Credentials:
    """What Helm hands a getter: TLS files and a login."""

    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    username: str = ""
    password: str = ""
    pass_credentials: bool = False


def scheme_of(url: str) -> str:
    head, separator, _ = url.partition("://")
    return head.lower() if separator and head.replace("+", "").replace("-", "").replace(
        ".", "").isalnum() else ""


def find_getter(directories: Sequence[Path], scheme: str) -> loader.Plugin | None:
    """The first getter plugin that declares ``scheme`` (plugins that fail to load are
    passed over, as Helm passes over them)."""
    for plugin in loader.find_plugins(directories, kind="getter/v1"):
        config = plugin.metadata.config
        if isinstance(config, GetterConfig) and scheme in config.protocols:
            return plugin
    return None


def fetch(url: str, directories: Sequence[Path], *, env: Mapping[str, str],
          credentials: Credentials = Credentials(), limit: int = 1 << 30) -> bytes:
    """The content at ``url`` from the getter plugin of its scheme."""
    scheme = scheme_of(url)
    plugin = find_getter(directories, scheme)
    if plugin is None:
        raise PluginError(f'scheme "{scheme}" not supported')
    try:
        data = runtime.run_getter(
            plugin, scheme, url, cert_file=credentials.cert_file,
            key_file=credentials.key_file, ca_file=credentials.ca_file,
            username=credentials.username, password=credentials.password,
            pass_credentials=credentials.pass_credentials, extra_env=env, limit=limit)
    except PluginError as exc:
        raise PluginError(f'plugin "{plugin.name}" failed to invoke: {exc}') from None
    return data
