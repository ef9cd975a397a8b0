"""Discovery: the core kinds of the release store need no request; every other kind is
read from the server (and the fixed entries agree with what the server says)."""

from __future__ import annotations

from typing import Any

import pytest

from pyhelm.kube.discovery import BUILT_IN, Discovery
from pyhelm.kube.protocol import ResourceInfo

AGGREGATED_APPS = {"kind": "APIGroupDiscoveryList", "items": [{
    "metadata": {"name": "apps"},
    "versions": [{"version": "v1", "resources": [
        {"resource": "deployments", "responseKind": {"kind": "Deployment"},
         "scope": "Namespaced"}]}]}]}


class Recorder:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, method: str, path: str, what: str, **_: Any) -> Any:
        self.paths.append(path)
        return AGGREGATED_APPS if path == "/apis" else {"kind": "APIGroupDiscoveryList"}


def test_the_release_stores_kinds_need_no_discovery() -> None:
    requests = Recorder()
    discovery = Discovery(requests)

    assert discovery.resource_for("v1", "Secret") == ResourceInfo("v1", "Secret", "secrets",
                                                                  True)
    assert discovery.resource_for("v1", "ConfigMap").plural == "configmaps"
    assert discovery.resource_for("v1", "Namespace").namespaced is False
    assert requests.paths == []


def test_other_kinds_are_discovered_once() -> None:
    requests = Recorder()
    discovery = Discovery(requests)

    assert discovery.resource_for("apps/v1", "Deployment").plural == "deployments"
    assert discovery.resource_for("apps/v1", "Deployment").namespaced
    assert requests.paths == ["/api", "/apis"]


@pytest.mark.cluster
def test_built_in_entries_agree_with_the_server(kubeconfig: str) -> None:
    from pyhelm.kube.client import connect

    client = connect(kubeconfig=kubeconfig)
    try:
        served = Discovery(client._request_json)
        served_entries = served._load()
        for key, info in BUILT_IN.items():
            assert served_entries[key] == info
    finally:
        client.close()
