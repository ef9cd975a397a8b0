"""Kubeconfig ``auth-provider`` users (the legacy ``oidc`` and ``gcp`` plugins), through
the official ``kubernetes`` package.

These are the one place the official client still earns its import (150-250 ms): its
loader validates and, for ``oidc``, refreshes tokens with the issuer. Every other kind of
user is resolved in ``pyhelm.kube.kubeconfig`` without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyhelm.errors import KubeUnreachableError


def auth_provider_token(cluster: Mapping[str, Any], user: Mapping[str, Any],
                        where: str) -> str:
    """The bearer token the user's auth provider gives (refreshed when expired)."""
    from kubernetes import client, config

    provider = (user.get("auth-provider") or {}).get("name", "?")
    document = {"apiVersion": "v1", "kind": "Config", "current-context": "pyhelm",
                "clusters": [{"name": "pyhelm", "cluster": dict(cluster)}],
                "users": [{"name": "pyhelm", "user": dict(user)}],
                "contexts": [{"name": "pyhelm",
                              "context": {"cluster": "pyhelm", "user": "pyhelm"}}]}
    configuration = client.Configuration()
    try:
        config.load_kube_config_from_dict(  # type: ignore[no-untyped-call]
            document, client_configuration=configuration, persist_config=False)
    except Exception as exc:  # the loader raises bare Exceptions and ConfigException
        raise KubeUnreachableError(f"kubeconfig {where}: auth provider {provider}: "
                                   f"{exc}") from exc
    keys = configuration.api_key or {}
    token = str(keys.get("BearerToken") or keys.get("authorization") or "")
    if not token:
        raise KubeUnreachableError(f"kubeconfig {where}: auth provider {provider} gave "
                                   "no token")
    return token.removeprefix("Bearer ").strip()
