"""``pyhelm.AsyncClient`` on the real API server: concurrent operations, errors raised in
the caller, and cancellation that leaves a release the next operation can finish."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

import pyhelm
from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]


def test_concurrent_calls_errors_and_cancellation(kubeconfig: str, namespace: str,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    subprocess.run([str(peers.helm_binary()), "create", str(tmp_path / "web")], check=True,
                   capture_output=True, env=peers.helm_env(tmp_path))
    chart = str(tmp_path / "web")
    client = pyhelm.AsyncClient(namespace=namespace)

    async def scenario() -> None:
        async with asyncio.TaskGroup() as group:
            first = group.create_task(client.install("one", str(ROOT / "charts" / "demo"),
                                                     wait=True, timeout="90s"))
            second = group.create_task(client.install("two", chart, wait=True,
                                                      timeout="90s"))
        assert (first.result().version, str(first.result().info.status)) == (1, "deployed")
        assert str(second.result().info.status) == "deployed"

        with pytest.raises(pyhelm.ReleaseNotFoundError):
            await client.status("nothing-here")

        # an upgrade that can never become ready, cancelled after two seconds
        stuck = client.upgrade("two", chart, wait=True, timeout="120s",
                               set_values=("replicaCount=3,nodeSelector.nowhere=x",))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(stuck, timeout=2)
        history = await client.history("two")
        assert str(history[-1].info.status) == "pending-upgrade"  # as a killed pyhelm left it

        done = await client.upgrade("two", chart, wait=True, timeout="90s")
        assert (done.version, str(done.info.status)) == (3, "deployed")
        statuses = [str(r.info.status) for r in await client.history("two")]
        assert statuses == ["superseded", "failed", "deployed"]

    asyncio.run(scenario())
    helm = subprocess.run([str(peers.helm_binary()), "history", "two", "-n", namespace],
                          capture_output=True, text=True, check=False,
                          env=peers.helm_env(tmp_path, KUBECONFIG=kubeconfig))
    assert helm.returncode == 0 and "deployed" in helm.stdout
    assert os.environ["KUBECONFIG"] == kubeconfig
