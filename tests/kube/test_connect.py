"""Reaching a cluster: clear one-line errors when the kubeconfig or the server is wrong."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pyhelm.errors import KubeUnreachableError
from pyhelm.kube.client import connect


def test_a_missing_kubeconfig_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(KubeUnreachableError, match=f"kubeconfig {tmp_path / 'none'}"):
        connect(kubeconfig=str(tmp_path / "none"))


def test_a_refused_connection_says_so(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was just free and is now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u, namespace: team}}]\n")
    client = connect(kubeconfig=str(kubeconfig))
    assert client.namespace == "team"
    with pytest.raises(KubeUnreachableError) as info:
        client.server_version()
    assert str(info.value) == (f"cannot reach the API server at https://127.0.0.1:{port}: "
                               "Connection refused")
    client.close()


@pytest.mark.cluster
def test_context_namespace_and_explicit_override(kubeconfig: str) -> None:
    client = connect(kubeconfig=kubeconfig, namespace="elsewhere")
    assert client.namespace == "elsewhere"
    assert client.server_version()[:2] == (1, 34)
    assert client.resource_for("apps/v1", "Deployment").plural == "deployments"
    client.close()


def test_qps_and_burst_throttle_requests_like_client_go() -> None:
    from pyhelm.kube.client import Throttle

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(qps=2, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        throttle.wait()
    assert slept == [0.5, 0.5]  # a burst of two, then one request per 1/qps
    now[0] += 10  # an idle spell refills the bucket up to the burst, no more
    throttle.wait()
    throttle.wait()
    assert slept == [0.5, 0.5]
    throttle.wait()
    assert slept == [0.5, 0.5, 0.5]
