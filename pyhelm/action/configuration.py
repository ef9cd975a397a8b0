"""The one place release actions get their dependencies from.

``Configuration`` holds a lazily connected kube client, the release store built on it,
the clock, this process's owner id (written into pending revisions so another process
can tell a live lock from a crashed one), a progress callback and the capabilities of
the cluster, and the user's ``Settings`` (flags and environment, read by the CLI).
Nothing here connects until an action asks for it, so ``--dry-run=client``
and offline verbs never reach a cluster. Tests pass a fake kube client and clock in.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyhelm.engine.release_info import Capabilities
from pyhelm.kube.protocol import KubeClient
from pyhelm.settings import Settings

if TYPE_CHECKING:  # the store module is imported when a store is first built
    from pyhelm.storage.store import ReleaseStore

Clock = Callable[[], datetime]
Progress = Callable[[str], None]  # an empty message: a wait is over (clear any status line)


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_owner() -> str:
    return f"pyhelm@{socket.gethostname()}/{os.getpid()}"


def _silent(_: str) -> None:
    return None


def connect_kube(settings: Settings) -> KubeClient:
    from pyhelm.kube.client import connect  # lazy: keeps `kubernetes` out of offline verbs
    from pyhelm.kube.kubeconfig import KubeOverrides

    return connect(overrides=KubeOverrides(
        kubeconfig=settings.kubeconfig, kubeconfig_env=settings.kubeconfig_env,
        service_host=settings.service_host, service_port=settings.service_port,
        context=settings.kube_context, namespace=settings.namespace,
        token=settings.kube_token, apiserver=settings.kube_apiserver,
        as_user=settings.kube_as_user, as_groups=settings.kube_as_groups,
        ca_file=settings.kube_ca_file,
        insecure_skip_tls_verify=settings.kube_insecure_skip_tls_verify,
        tls_server_name=settings.kube_tls_server_name),
        qps=settings.qps, burst=settings.burst_limit)


@dataclass
class Configuration:
    """Dependencies of every release action, each built once on first use."""

    kube_factory: Callable[[], KubeClient]
    namespace_override: str | None = None
    store_factory: Callable[[KubeClient, str], ReleaseStore] | None = None
    clock: Clock = utc_now
    owner: str = field(default_factory=default_owner)
    progress: Progress = _silent
    settings: Settings = field(default_factory=Settings)
    _kube: KubeClient | None = field(default=None, init=False, repr=False)
    _stores: dict[str, ReleaseStore] = field(default_factory=dict, init=False, repr=False)
    _capabilities: Capabilities | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Configuration:
        return cls(kube_factory=lambda: connect_kube(settings),
                   namespace_override=settings.namespace, settings=settings, **kwargs)

    @property
    def kube(self) -> KubeClient:
        if self._kube is None:
            self._kube = self.kube_factory()
        return self._kube

    @property
    def namespace(self) -> str:
        return self.namespace_override or self.kube.namespace

    def store(self, namespace: str | None = None) -> ReleaseStore:
        """The release store of a namespace (None: every namespace, for list -A)."""
        key = namespace if namespace is not None else ""
        if key not in self._stores:
            if self.store_factory is not None:
                self._stores[key] = self.store_factory(self.kube, key)
            else:
                self._stores[key] = _default_store(self.kube, key, self.settings.driver,
                                                   self.clock, self.owner)
        return self._stores[key]

    def capabilities(self) -> Capabilities:
        """What the server offers, for ``.Capabilities`` and ``kubeVersion`` checks."""
        if self._capabilities is None:
            _, _, git_version = self.kube.server_version()
            self._capabilities = Capabilities(kube_version=git_version,
                                              extra_api_versions=tuple(self.kube.api_versions()))
        return self._capabilities


def _default_store(kube: KubeClient, namespace: str, driver: str, clock: Clock = utc_now,
                   owner: str | None = None) -> ReleaseStore:
    from pyhelm.storage.store import ReleaseStore, driver_for

    return ReleaseStore(driver_for(driver, kube, namespace), clock=clock,
                        owner=owner or default_owner())
