"""Locks between operations on the real cluster: uninstall takes the lock, a lost lock
never rolls back over a newer revision, dead installs and uninstalls are recovered, and
the operator's ``unlock`` escape."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import pyhelm
from pyhelm.cli.main import main as cli_main
from pyhelm.errors import PyhelmError, ReleaseConflictError, ReleaseInProgressError
from pyhelm.release.status import Status

sys.path.insert(0, str(Path(__file__).parent))
from test_failures import make_chart

pytestmark = pytest.mark.cluster


def _in_background(call: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _wait_for_status(client: pyhelm.Client, name: str, status: Status) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.history(name)[-1].info.status == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {status}")


def test_an_uninstall_during_an_upgrade_fails_with_operation_in_progress(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("race", chart)
    upgrading = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    thread, errors = _in_background(lambda: upgrading.upgrade(
        "race", chart, values={"stuck": True}, wait=True, timeout="4s"))
    _wait_for_status(client, "race", Status.PENDING_UPGRADE)
    with pytest.raises(ReleaseInProgressError, match="operation in progress"):
        client.uninstall("race")
    thread.join()
    assert errors and "timed out" in str(errors[0])
    assert [r.info.status for r in client.history("race")] == [Status.DEPLOYED, Status.FAILED]
    client.uninstall("race")  # the lock is free again


def test_an_upgrade_during_an_uninstall_fails_with_operation_in_progress(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("race2", chart, values={"stuck": True})
    uninstalling = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    # --wait on a Deployment whose deletion a finalizer holds up keeps the uninstall going
    kube = client.config.kube
    kube.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "race2", "namespace": namespace,
                             "finalizers": ["example.com/hold"]}},
               field_manager="test")
    thread, errors = _in_background(lambda: uninstalling.uninstall(
        "race2", wait=True, timeout="5s"))
    _wait_for_status(client, "race2", Status.UNINSTALLING)
    with pytest.raises(ReleaseInProgressError, match="operation in progress"):
        client.upgrade("race2", chart)
    kube.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "race2", "namespace": namespace, "finalizers": []}},
               field_manager="test")
    thread.join()
    assert not errors, errors


def test_an_operation_that_lost_its_lock_never_rolls_back_over_a_newer_revision(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("lost", chart)
    slow = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    thread, errors = _in_background(lambda: slow.upgrade(
        "lost", chart, values={"stuck": True}, atomic=True, timeout="6s"))
    _wait_for_status(client, "lost", Status.PENDING_UPGRADE)
    from pyhelm.action import unlock

    message = unlock.run(client.config, unlock.UnlockOptions(name="lost"))
    assert message.startswith("unlocked by ") and "pending-upgrade by pyhelm@" in message
    client.upgrade("lost", chart, values={"replicas": 2})  # revision 3, deployed
    thread.join()
    assert errors and isinstance(errors[0], ReleaseConflictError), errors
    assert "nothing was rolled back" in str(errors[0])
    history = client.history("lost")
    assert [(r.version, r.info.status) for r in history] == [
        (1, Status.SUPERSEDED), (2, Status.FAILED), (3, Status.DEPLOYED)]
    assert history[1].info.description.startswith("unlocked by ")
    live = client.config.kube.get("apps/v1", "Deployment", "lost", namespace)
    assert live["spec"]["replicas"] == 2


_DIE_HOLDING = """
import os, sys
import pyhelm
from pyhelm.action import {verb}
client = pyhelm.Client(kubeconfig={kubeconfig!r}, namespace={namespace!r})
store = client.config.store({namespace!r})
original = store.{hook}
def die(*args, **kwargs):
    original(*args, **kwargs)
    os._exit(9)  # as kill -9 right after the pending revision was recorded
store.{hook} = die
{call}
"""


@pytest.mark.parametrize("verb", ["install", "uninstall"])
def test_an_install_or_uninstall_that_died_does_not_block_install(
        kubeconfig: str, namespace: str, tmp_path: Path, verb: str) -> None:
    chart = make_chart(tmp_path)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    if verb == "uninstall":
        client.install("dead", chart)
        call = "client.uninstall('dead')"
        hook, pending = "update", Status.UNINSTALLING
    else:
        call = f"client.install('dead', {chart!r})"
        hook, pending = "create", Status.PENDING_INSTALL
    script = _DIE_HOLDING.format(verb=verb, kubeconfig=kubeconfig, namespace=namespace,
                                 hook=hook, call=call)
    assert subprocess.run([sys.executable, "-c", script], check=False).returncode == 9
    assert client.history("dead")[-1].info.status == pending
    done = client.install("dead", chart)
    statuses = [r.info.status for r in client.history("dead")]
    assert statuses[-2:] == [Status.FAILED, Status.DEPLOYED], statuses
    assert client.history("dead")[-2].info.description.startswith("recovered: ")
    assert done.version == len(statuses)


def test_unlock_on_the_command_line_logs_and_records_who_forced_it(
        kubeconfig: str, namespace: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    chart = make_chart(tmp_path)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("held", chart)
    import dataclasses

    from pyhelm.storage.store import ReleaseStore

    other = ReleaseStore(client.config.store(namespace).driver, owner="pyhelm@gone/1")
    first = client.history("held")[0]
    other.create(dataclasses.replace(first, version=2, info=dataclasses.replace(
        first.info, status=Status.PENDING_UPGRADE)))
    with pytest.raises(ReleaseInProgressError):
        client.upgrade("held", chart)
    cli_main(["--kubeconfig", kubeconfig, "-n", namespace, "unlock", "held"])
    err = capsys.readouterr().err.strip()
    assert err.startswith("unlocked by ") and "pending-upgrade by pyhelm@gone/1" in err
    assert "\n" not in err
    other._held.clear()
    client.upgrade("held", chart)
    with pytest.raises(PyhelmError, match="is not locked"):
        cli_main(["--kubeconfig", kubeconfig, "-n", namespace, "--debug", "unlock", "held"])
