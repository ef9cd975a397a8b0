"""Shared fixtures: one real local control plane per test session, started lazily.

``kube_cluster`` (session) starts etcd, kube-apiserver, controller-manager, scheduler and
kwok from ``pyhelm.testing.cluster``, or uses the cluster in ``PYHELM_TEST_KUBECONFIG``.
A test that asks for a cluster and cannot get one fails with the reason; it is never
skipped. ``namespace`` gives each test a fresh namespace named after the test.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _restore_interrupt_signals() -> None:
    """A suite started in the background by a shell without job control (``make test &``
    in a script, some CI runners) inherits SIGINT and SIGQUIT ignored, and so would
    every pyhelm it starts: the tests of Ctrl-C and of signal forwarding would test
    that instead. They get the dispositions a terminal's foreground job has."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN:
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)


_restore_interrupt_signals()


@dataclass(frozen=True)
class ClusterHandle:
    kubeconfig: str


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[ClusterHandle]:
    existing = os.environ.get("PYHELM_TEST_KUBECONFIG")
    if existing:
        yield ClusterHandle(kubeconfig=existing)
        return
    from pyhelm.testing.cluster import LocalCluster

    try:
        cluster = LocalCluster.start()
    except Exception as exc:  # the reason must reach the report, not a skip
        pytest.fail(f"could not start the local control plane: {exc}", pytrace=False)
    with cluster:
        yield ClusterHandle(kubeconfig=str(cluster.kubeconfig_path))


@pytest.fixture(scope="session")
def kubeconfig(kube_cluster: ClusterHandle) -> str:
    return kube_cluster.kubeconfig


@pytest.fixture(scope="session")
def kube_api(kubeconfig: str) -> Iterator[Any]:
    from kubernetes import config

    api = config.new_client_from_config(config_file=kubeconfig)
    yield api
    api.close()


_namespace_counter = itertools.count(1)


def _namespace_name(node_id: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", node_id.split("::")[-1].lower()).strip("-")
    return f"t{next(_namespace_counter)}-{base}"[:63].rstrip("-")


@pytest.fixture
def namespace(request: pytest.FixtureRequest, kube_api: Any) -> Iterator[str]:
    from kubernetes import client

    core = client.CoreV1Api(kube_api)
    name = _namespace_name(request.node.nodeid)
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    core.delete_namespace(name, propagation_policy="Background")


@pytest.fixture
def chart_dir() -> Path:
    """The example charts shipped in the repository."""
    return Path(__file__).resolve().parents[1] / "charts"


_SESSION_STARTED = time.time()


def pytest_configure(config: pytest.Config) -> None:
    """Helm (Go template) charts render with helm-engine: build it once (a hash check
    when warm) and make every pyhelm the tests start use exactly that build. The command
    servers those commands start leave a minute after their last command."""
    if not os.environ.get("PYHELM_HELM_ENGINE"):
        from pyhelm.testing.engine_build import build

        os.environ["PYHELM_HELM_ENGINE"] = str(build())
    os.environ.setdefault("PYHELM_COMMAND_SERVER_IDLE", "60")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the command servers this session started (tests with an environment of
    their own get the default idle time): nothing of the suite outlives it."""
    from pyhelm.cli.command_client import socket_dir

    try:
        directory = Path(socket_dir())
    except OSError:
        return
    for lock in directory.glob("*.lock"):
        try:
            if lock.stat().st_mtime >= _SESSION_STARTED:
                os.kill(int(lock.read_text()), signal.SIGTERM)
        except (OSError, ValueError):
            continue  # gone already, or a server still writing its pid
