"""The user's settings: global flags and Helm's environment variables, read once.

``Settings.from_environ`` is the one place pyhelm reads its environment (``HELM_*`` and
their ``PYHELM_*`` twins; a ``PYHELM_`` name wins over its ``HELM_`` twin); the CLI then
lays its global flags over the result with ``with_flags`` and hands the object down
(``Configuration``, the repository verbs). Library modules take the values they need as
arguments and never look at ``os.environ`` themselves. ``env_lines`` prints the settings
as ``helm env`` does.

Directories are Helm's own, so a repository added or a registry logged in to by either
tool is seen by the other: ``$XDG_CONFIG_HOME/helm`` (``HELM_CONFIG_HOME`` overrides) holds
``repositories.yaml`` and ``registry/config.json``; ``$XDG_CACHE_HOME/helm``
(``HELM_CACHE_HOME``) holds ``repository/`` and ``content/``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhelm.errors import UsageError

_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"", "0", "f", "false", "n", "no", "off"}


@dataclass(frozen=True)
class RepoPaths:
    """Where the repository and registry client files live."""

    repository_config: Path
    repository_cache: Path
    registry_config: Path
    content_cache: Path

    @property
    def downloads(self) -> Path:
        return self.content_cache


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The environment's settings with the global flags laid over them."""

    namespace: str | None = None
    kubeconfig: str | None = None
    kubeconfig_env: str | None = None  # $KUBECONFIG: files to merge (kubectl's rules)
    service_host: str | None = None  # $KUBERNETES_SERVICE_HOST/PORT: in-cluster
    service_port: str | None = None
    kube_context: str | None = None
    kube_token: str | None = None
    kube_apiserver: str | None = None
    kube_as_user: str | None = None
    kube_as_groups: tuple[str, ...] = ()
    kube_ca_file: str | None = None
    kube_insecure_skip_tls_verify: bool = False
    kube_tls_server_name: str | None = None
    burst_limit: int = 100
    qps: float = 0.0
    debug: bool = False
    max_history: int = 10
    driver: str = "secret"
    color: str = "auto"
    config_home: Path = field(default_factory=lambda: _home(None, "XDG_CONFIG_HOME", ".config"))
    cache_home: Path = field(default_factory=lambda: _home(None, "XDG_CACHE_HOME", ".cache"))
    data_home: Path = field(
        default_factory=lambda: _home(None, "XDG_DATA_HOME", ".local/share"))
    repository_config: Path | None = None
    repository_cache: Path | None = None
    registry_config: Path | None = None
    content_cache: Path | None = None
    plugins: str | None = None  # $HELM_PLUGINS: a path list
    no_plugins: bool = False  # $HELM_NO_PLUGINS=1: no plugin commands

    # ------------------------------------------------------------------ building
    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings Helm's (and pyhelm's) environment variables describe."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"PYHELM_{name}")
            return value if value not in (None, "") else (env.get(f"HELM_{name}") or None)

        groups = get("KUBEASGROUPS")
        return cls(
            namespace=get("NAMESPACE"), kubeconfig=env.get("PYHELM_KUBECONFIG") or None,
            kubeconfig_env=env.get("KUBECONFIG") or None,
            service_host=env.get("KUBERNETES_SERVICE_HOST") or None,
            service_port=env.get("KUBERNETES_SERVICE_PORT") or None,
            kube_context=get("KUBECONTEXT"), kube_token=get("KUBETOKEN"),
            kube_apiserver=get("KUBEAPISERVER"), kube_as_user=get("KUBEASUSER"),
            kube_as_groups=tuple(g for g in (groups or "").split(",") if g),
            kube_ca_file=get("KUBECAFILE"),
            kube_insecure_skip_tls_verify=_bool("HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
                                                get("KUBEINSECURE_SKIP_TLS_VERIFY")),
            kube_tls_server_name=get("KUBETLS_SERVER_NAME"),
            burst_limit=_number(int, "HELM_BURST_LIMIT", get("BURST_LIMIT"), 100),
            qps=_number(float, "HELM_QPS", get("QPS"), 0.0),
            debug=_bool("HELM_DEBUG", get("DEBUG")),
            max_history=_number(int, "HELM_MAX_HISTORY", get("MAX_HISTORY"), 10),
            driver=(get("DRIVER") or "secret").lower(),
            color=get("COLOR") or (env.get("NO_COLOR") and "never") or "auto",
            config_home=Path(get("CONFIG_HOME") or _home(env, "XDG_CONFIG_HOME", ".config")),
            cache_home=Path(get("CACHE_HOME") or _home(env, "XDG_CACHE_HOME", ".cache")),
            data_home=Path(get("DATA_HOME") or _home(env, "XDG_DATA_HOME", ".local/share")),
            repository_config=_path(get("REPOSITORY_CONFIG")),
            repository_cache=_path(get("REPOSITORY_CACHE")),
            registry_config=_path(get("REGISTRY_CONFIG")),
            content_cache=_path(get("CONTENT_CACHE")), plugins=get("PLUGINS"),
            no_plugins=get("NO_PLUGINS") == "1")

    def with_flags(self, **flags: Any) -> Settings:
        """These settings with the global flags that were given (None: not given)."""
        given = {k: v for k, v in flags.items() if v is not None and v != ()}
        for name in ("repository_config", "repository_cache", "registry_config",
                     "content_cache"):
            if name in given:
                given[name] = Path(given[name])
        if "kube_as_groups" in given:
            given["kube_as_groups"] = tuple(given["kube_as_groups"])
        return dataclasses.replace(self, **given)

    # ------------------------------------------------------------------ derived
    @property
    def repo_paths(self) -> RepoPaths:
        return RepoPaths(
            repository_config=self.repository_config or
            self.config_home / "repositories.yaml",
            repository_cache=self.repository_cache or self.cache_home / "repository",
            registry_config=self.registry_config or
            self.config_home / "registry" / "config.json",
            content_cache=self.content_cache or self.cache_home / "content")

    @property
    def plugin_dirs(self) -> tuple[Path, ...]:
        """Where plugins are looked for, in order (Helm's filepath.SplitList)."""
        if self.plugins is None:
            return (self.data_home / "plugins",)
        return tuple(Path(p) for p in self.plugins.split(os.pathsep) if p)

    def env_lines(self, binary: str) -> list[str]:
        """``KEY="value"`` lines, sorted, with Helm's keys and value formats."""
        values = self.env_vars(binary)
        return [f'{key}="{values[key]}"' for key in sorted(values)]

    def env_vars(self, binary: str, namespace: str | None = None) -> dict[str, str]:
        """Helm's EnvVars: what ``helm env`` prints and what a plugin is given
        (``namespace``: the one the kubeconfig's context names, when no flag does)."""
        paths = self.repo_paths
        values = {
            "HELM_BIN": binary, "HELM_BURST_LIMIT": str(self.burst_limit),
            "HELM_CACHE_HOME": str(self.cache_home), "HELM_CONFIG_HOME": str(self.config_home),
            "HELM_CONTENT_CACHE": str(paths.content_cache),
            "HELM_DATA_HOME": str(self.data_home), "HELM_DEBUG": _go_bool(self.debug),
            "HELM_KUBEAPISERVER": self.kube_apiserver or "",
            "HELM_KUBEASGROUPS": ",".join(self.kube_as_groups),
            "HELM_KUBEASUSER": self.kube_as_user or "",
            "HELM_KUBECAFILE": self.kube_ca_file or "",
            "HELM_KUBECONTEXT": self.kube_context or "",
            "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": _go_bool(self.kube_insecure_skip_tls_verify),
            "HELM_KUBETLS_SERVER_NAME": self.kube_tls_server_name or "",
            "HELM_KUBETOKEN": self.kube_token or "",
            "HELM_MAX_HISTORY": str(self.max_history),
            "HELM_NAMESPACE": self.namespace or namespace or "default",
            "HELM_PLUGINS": self.plugins or str(self.data_home / "plugins"),
            "HELM_QPS": f"{self.qps:.2f}",
            "HELM_REGISTRY_CONFIG": str(paths.registry_config),
            "HELM_REPOSITORY_CACHE": str(paths.repository_cache),
            "HELM_REPOSITORY_CONFIG": str(paths.repository_config),
        }
        if self.kubeconfig:  # --kubeconfig only, as Helm
            values["KUBECONFIG"] = self.kubeconfig
        return values


def _home(env: Mapping[str, str] | None, variable: str, fallback: str) -> Path:
    base = (env or {}).get(variable) or str(Path.home() / fallback)
    return Path(base) / "helm"  # Helm's homes: repositories and logins are shared


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _bool(name: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"{name}={value!r}: not a boolean (use true or false)")


def _number(kind: type, name: str, value: str | None, default: Any) -> Any:
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise UsageError(f"{name}={value!r}: not a number") from None


def _go_bool(value: bool) -> str:
    return "true" if value else "false"
