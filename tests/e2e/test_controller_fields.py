"""The HelmRelease fields of issue 24's second slice on the real API server, with Flux's
real source-controller and ``pyhelm controller`` as a process: dependsOn, drift found by
watching the managed objects (corrected, and not where an ignore rule says), kustomize
postRenderers (run by kubectl's kustomize), commonMetadata and the origin labels,
forceAt, serviceAccountName (impersonation, RBAC enforced by the API server), resetAt,
and kubeConfig from a Secret (a token-only kubeconfig accepted, one that would run a
program refused)."""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import peers
from pyhelm.testing.registry import free_port
from tests.e2e.controller_support import HR_API, drop_finalizers, podinfo_source
from tests.e2e.controller_support import kubectl as _kubectl
from tests.e2e.controller_support import run as _run
from tests.e2e.test_controller import Running, _condition, _get, _until

pytestmark = [pytest.mark.cluster, pytest.mark.helm, pytest.mark.registry]


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig)


@contextlib.contextmanager
def _controller(env: dict[str, str], namespace: str, tmp_path: Path, concurrent: int
                ) -> Iterator[Running]:
    log = tmp_path / "controller.log"
    health, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pyhelm", "controller", "--watch-all-namespaces=false",
             "--concurrent", str(concurrent), "--requeue-dependency", "2s",
             "--health-addr", health, "--metrics-addr", metrics],
            env={**env, "RUNTIME_NAMESPACE": namespace,
                 "PYHELM_KUSTOMIZE": str(peers.kubectl_binary())},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Running(process, log, health, metrics)
    finally:
        process.kill()
        process.wait(timeout=10)
        drop_finalizers(env, namespace)


def _state(env: dict[str, str], namespace: str, name: str, status: str,
           reason: str | None = None) -> Callable[[], dict[str, Any] | None]:
    """A probe for the HelmRelease's Ready condition at its latest generation."""
    def probe() -> dict[str, Any] | None:
        obj = _get(env, namespace, name)
        ready = _condition(obj, "Ready")
        ok = ready.get("status") == status and reason in (None, ready.get("reason")) \
            and (obj.get("status") or {}).get("observedGeneration") == \
            obj["metadata"]["generation"]
        return obj if ok else None
    return probe


def _release(name: str, namespace: str, **spec: Any) -> str:
    return json.dumps({"apiVersion": HR_API, "kind": "HelmRelease",
                       "metadata": {"name": name, "namespace": namespace},
                       "spec": {"interval": "10m", "timeout": "1m",
                                "chartRef": {"kind": "OCIRepository", "name": "podinfo"},
                                **spec}})


def _live(env: dict[str, str], kind: str, name: str, namespace: str) -> dict[str, Any]:
    found = subprocess.run([str(peers.kubectl_binary()), "get", kind, name, "-n", namespace,
                            "-o", "json"], env=env, capture_output=True, text=True,
                           timeout=60, check=False)
    return json.loads(found.stdout) if found.returncode == 0 else {}


def _eventually(what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
    """Seconds until ``check`` held."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.2)
    return time.monotonic() - started


def _history(env: dict[str, str], name: str, namespace: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(_run(
        [str(peers.helm_binary()), "history", name, "-n", namespace, "-o", "json"], env))
    return result


def test_dependencies_drift_post_renderers_impersonation_and_remote_kubeconfig(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    with podinfo_source(env, namespace, kubeconfig, tmp_path), \
            _controller(env, namespace, tmp_path, 4) as controller:
        _check_fields(env, namespace, kubeconfig, tmp_path, controller.log)


def _check_fields(env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path,
                  log: Path) -> None:
    def state(name: str, status: str, reason: str | None = None
              ) -> Callable[[], dict[str, Any] | None]:
        return _state(env, namespace, name, status, reason)

    # dependsOn: held back, with the reason, until its dependency is Ready
    _kubectl(env, "apply", "-f", "-", stdin=_release(
        "app", namespace, dependsOn=[{"name": "base"}],
        driftDetection={"mode": "enabled", "ignore": [
            {"paths": ["/spec/replicas"], "target": {"kind": "Deployment"}}]}))
    held = _until("app DependencyNotReady", state("app", "False", "DependencyNotReady"),
                  log)
    assert _condition(held, "Ready")["message"] == \
        f"dependency '{namespace}/base' not found"
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: base-podinfo\n"
             "  annotations:\n    patched-by: kustomize\n")
    _kubectl(env, "apply", "-f", "-", stdin=_release(
        "base", namespace, driftDetection={"mode": "enabled"},
        commonMetadata={"labels": {"team": "platform"},
                        "annotations": {"owner": "team-a"}},
        postRenderers=[{"kustomize": {
            "patches": [{"patch": patch, "target": {"kind": "Deployment"}}],
            "images": [{"name": "ghcr.io/stefanprodan/podinfo", "newTag": "6.9.1"}]}}]))
    _until("base Ready", state("base", "True"), log)
    _until("app Ready after base", state("app", "True", "InstallSucceeded"), log)

    # post-renderers, common metadata and the origin labels are on the objects
    deployment = _live(env, "deployment", "base-podinfo", namespace)
    meta = deployment["metadata"]
    assert meta["labels"]["team"] == "platform"
    assert meta["labels"]["helm.toolkit.fluxcd.io/name"] == "base"
    assert meta["labels"]["helm.toolkit.fluxcd.io/namespace"] == namespace
    assert meta["annotations"]["owner"] == "team-a"
    assert meta["annotations"]["patched-by"] == "kustomize"
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/stefanprodan/podinfo:6.9.1"
    service = _live(env, "service", "base-podinfo", namespace)
    assert service["metadata"]["labels"]["team"] == "platform"
    assert "patched-by" not in (service["metadata"].get("annotations") or {})

    # drift, found by the watch (the interval is 10m): a changed and a deleted object
    _kubectl(env, "scale", "deployment", "base-podinfo", "-n", namespace,
             "--replicas=2")
    restored = _eventually("base-podinfo scaled back to 0", lambda: _live(
        env, "deployment", "base-podinfo", namespace)["spec"]["replicas"] == 0)
    _kubectl(env, "delete", "configmap", "base-podinfo", "-n", namespace)
    recreated = _eventually("base-podinfo ConfigMap created again", lambda: bool(
        _live(env, "configmap", "base-podinfo", namespace)))
    assert restored < 15 and recreated < 15, (restored, recreated)
    assert len(_history(env, "base", namespace)) == 1  # corrected, no new revision
    assert "DriftCorrected" in log.read_text()

    # an ignore rule: app's replicas may differ, its ConfigMap may not
    _kubectl(env, "scale", "deployment", "app-podinfo", "-n", namespace, "--replicas=3")
    _kubectl(env, "patch", "configmap", "app-podinfo", "-n", namespace, "--type=merge",
             "-p", '{"data":{"message":"edited"}}')
    _eventually("app-podinfo ConfigMap restored", lambda: _live(
        env, "configmap", "app-podinfo", namespace)["data"] == {"message": "hello"})
    assert _live(env, "deployment", "app-podinfo", namespace)["spec"]["replicas"] == 3

    # forceAt with requestedAt (flux reconcile --force): a new revision, no spec change
    _kubectl(env, "annotate", "--overwrite", "helmreleases.helm.toolkit.fluxcd.io",
             "base", "-n", namespace, "reconcile.fluxcd.io/requestedAt=f1",
             "reconcile.fluxcd.io/forceAt=f1")
    _eventually("base forced", lambda: (_get(env, namespace, "base").get("status") or {})
                .get("lastHandledForceAt") == "f1")
    assert [h["status"] for h in _history(env, "base", namespace)] == [
        "superseded", "deployed"]

    # serviceAccountName: the API server enforces the account's RBAC
    _kubectl(env, "create", "serviceaccount", "deployer", "-n", namespace)
    _kubectl(env, "create", "role", "records", "-n", namespace, "--verb=get,list,watch",
             "--resource=secrets")
    _kubectl(env, "create", "rolebinding", "deployer-records", "-n", namespace,
             "--role=records", f"--serviceaccount={namespace}:deployer")
    _kubectl(env, "apply", "-f", "-", stdin=_release(
        "limited", namespace, serviceAccountName="deployer"))
    denied = _until("limited InstallFailed", state("limited", "False", "InstallFailed"),
                    log)
    message = _condition(denied, "Ready")["message"]
    assert f"system:serviceaccount:{namespace}:deployer" in message, message
    assert not _live(env, "deployment", "limited-podinfo", namespace)
    _kubectl(env, "create", "rolebinding", "deployer-admin", "-n", namespace,
             "--clusterrole=admin", f"--serviceaccount={namespace}:deployer")
    time.sleep(3)  # no retries are configured: nothing happens until a reset
    assert _condition(_get(env, namespace, "limited"), "Ready")["status"] == "False"
    _kubectl(env, "annotate", "--overwrite", "helmreleases.helm.toolkit.fluxcd.io",
             "limited", "-n", namespace, "reconcile.fluxcd.io/requestedAt=r1",
             "reconcile.fluxcd.io/resetAt=r1")
    limited = _until("limited Ready after reset", state("limited", "True"), log)
    assert limited["status"]["lastHandledResetAt"] == "r1"
    assert _live(env, "deployment", "limited-podinfo", namespace)

    # kubeConfig from a Secret: a token and inline CA are used, an exec plugin refused
    _kubectl(env, "create", "serviceaccount", "remote-deployer", "-n", namespace)
    token = _kubectl(env, "create", "token", "remote-deployer", "-n", namespace,
                     "--duration=1h").strip()
    config = json.loads(Path(kubeconfig).read_text())
    cluster = config["clusters"][0]["cluster"]
    remote = {"apiVersion": "v1", "kind": "Config", "current-context": "remote",
              "clusters": [{"name": "remote", "cluster": {
                  "server": cluster["server"], "certificate-authority-data":
                  base64.b64encode(Path(cluster["certificate-authority"]).read_bytes())
                  .decode()}}],
              "users": [{"name": "deployer", "user": {"token": token}}],
              "contexts": [{"name": "remote", "context": {
                  "cluster": "remote", "user": "deployer", "namespace": namespace}}]}
    evil = {**remote, "users": [{"name": "deployer", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/sh",
        "args": ["-c", f"touch {tmp_path}/pwned"]}}}]}
    for secret, doc in (("remote-kubeconfig", remote), ("evil-kubeconfig", evil)):
        _kubectl(env, "create", "secret", "generic", secret, "-n", namespace,
                 f"--from-literal=value={json.dumps(doc)}")
    _kubectl(env, "apply", "-f", "-", stdin=_release(
        "remote", namespace, kubeConfig={"secretRef": {"name": "remote-kubeconfig"}}))
    _kubectl(env, "apply", "-f", "-", stdin=_release(
        "evil", namespace, kubeConfig={"secretRef": {"name": "evil-kubeconfig"}}))
    # the kubeconfig's identity, not the controller's, acts: denied until bound
    denied = _until("remote denied", state("remote", "False", "InitFailed"), log)
    assert f"system:serviceaccount:{namespace}:remote-deployer" in _condition(
        denied, "Ready")["message"]
    _kubectl(env, "create", "rolebinding", "remote-admin", "-n", namespace,
             "--clusterrole=admin", f"--serviceaccount={namespace}:remote-deployer")
    _until("remote Ready", state("remote", "True"), log)
    assert _history(env, "remote", namespace)[0]["status"] == "deployed"
    refused = _until("evil InitFailed", state("evil", "False", "InitFailed"), log)
    assert "sets exec" in _condition(refused, "Ready")["message"]
    assert not (tmp_path / "pwned").exists()


def test_hanging_releases_do_not_hold_up_others_and_a_new_generation_ends_a_wait(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    # one slot: three releases wait (their pod can be scheduled on no node) and a fourth
    # is still installed; a new spec of a waiting one ends its wait and is released
    unschedulable = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\n"
                     "spec:\n  template:\n    spec:\n      nodeSelector:\n"
                     "        pyhelm.test/none: none\n")
    hanging = {"values": {"replicaCount": 1}, "timeout": "5m",
               "postRenderers": [{"kustomize": {"patches": [
                   {"patch": unschedulable, "target": {"kind": "Deployment"}}]}}]}
    with podinfo_source(env, namespace, kubeconfig, tmp_path), \
            _controller(env, namespace, tmp_path, 1) as controller:
        log = controller.log
        for name in ("hang-1", "hang-2", "hang-3"):
            _kubectl(env, "apply", "-f", "-", stdin=_release(name, namespace, **hanging))
        _eventually("three pending installs", lambda: all(
            _live(env, "deployment", f"{n}-podinfo", namespace)
            for n in ("hang-1", "hang-2", "hang-3")))
        started = time.monotonic()
        _kubectl(env, "apply", "-f", "-", stdin=_release("quick", namespace))
        _until("quick Ready", _state(env, namespace, "quick", "True"), log)
        assert time.monotonic() - started < 60
        assert _condition(_get(env, namespace, "hang-1"), "Ready").get("status") != "True"

        # another HelmRelease of the same release meets hang-2's operation under way: it
        # waits (Progressing) and counts no failure
        _kubectl(env, "apply", "-f", "-", stdin=_release("twin", namespace,
                                                         releaseName="hang-2"))
        twin = _until("twin waiting", _state(env, namespace, "twin", "False", "Progressing"),
                      log)
        assert "operation in progress" in _condition(twin, "Ready")["message"]
        assert not twin["status"].get("installFailures")
        _kubectl(env, "delete", "helmreleases.helm.toolkit.fluxcd.io", "twin", "-n",
                 namespace, "--wait=false")
        _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", "twin", "-n",
                 namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')

        # a new generation: hang-1's wait ends now, not at its 5m timeout
        started = time.monotonic()
        _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", "hang-1", "-n",
                 namespace, "--type=json", "-p",
                 '[{"op":"remove","path":"/spec/postRenderers"},'
                 '{"op":"replace","path":"/spec/values/replicaCount","value":0}]')
        hang_1 = _until("hang-1 released at generation 2",
                        _state(env, namespace, "hang-1", "True"), log)
        assert time.monotonic() - started < 60
        assert hang_1["status"]["observedGeneration"] == 2
        assert "superseded" in log.read_text()
        statuses = [h["status"] for h in _history(env, "hang-1", namespace)]
        assert statuses[-1] == "deployed" and "pending-install" not in statuses, statuses

        # SIGTERM with hang-2 and hang-3 still waiting: the waits end, nothing is left
        # pending, and the controller exits at once rather than after their 5m timeout
        stopped = time.monotonic()
        controller.process.send_signal(signal.SIGTERM)
        assert controller.process.wait(timeout=60) == 0
        assert time.monotonic() - stopped < 30
        for name in ("hang-2", "hang-3"):
            statuses = [h["status"] for h in _history(env, name, namespace)]
            assert not any(s.startswith("pending") for s in statuses), statuses


def test_adoption_retry_on_failure_test_filters_and_uninstall_options(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    target = f"{namespace[:50]}-later"
    with podinfo_source(env, namespace, kubeconfig, tmp_path), \
            _controller(env, namespace, tmp_path, 2) as controller:
        log = controller.log
        # a release helm made, and an object nobody owns: the controller adopts both
        _run([str(peers.helm_binary()), "install", "made-by-helm",
              str(tmp_path / "podinfo-0.1.0.tgz"), "-n", namespace], env)
        _kubectl(env, "create", "configmap", "orphan-podinfo", "-n", namespace)
        _kubectl(env, "apply", "-f", "-", stdin=_release(
            "adopter", namespace, releaseName="made-by-helm",
            values={"message": "adopted"}))
        _kubectl(env, "apply", "-f", "-", stdin=_release(
            "orphan", namespace, test={"enable": True, "filters": [
                {"name": "orphan-podinfo-test", "exclude": True}]},
            uninstall={"keepHistory": True}))
        _until("adopter upgraded", _state(env, namespace, "adopter", "True",
                                          "UpgradeSucceeded"), log)
        assert [h["status"] for h in _history(env, "made-by-helm", namespace)] == [
            "superseded", "deployed"]
        orphan = _until("orphan installed", _state(env, namespace, "orphan", "True"), log)
        assert "0 test hooks completed" in _condition(orphan, "TestSuccess")["message"]
        assert _live(env, "configmap", "orphan-podinfo", namespace)["data"] == {
            "message": "hello"}

        # RetryOnFailure: a target namespace that does not exist yet; retried until it does
        _kubectl(env, "apply", "-f", "-", stdin=_release(
            "later", namespace, targetNamespace=target, storageNamespace=namespace,
            releaseName="later",
            install={"strategy": {"name": "RetryOnFailure", "retryInterval": "2s"}}))
        failed = _until("later InstallFailed", _state(env, namespace, "later", "False",
                                                      "InstallFailed"), log)
        assert "Remediated" not in {c["type"] for c in failed["status"]["conditions"]}
        _kubectl(env, "create", "namespace", target)
        try:
            later = _until("later installed on retry",
                           _state(env, namespace, "later", "True"), log)
            assert later["metadata"]["generation"] == 1
            assert later["status"]["installFailures"] == 0
        finally:
            _kubectl(env, "delete", "namespace", target, "--wait=false")

        # uninstall.keepHistory: deleting the HelmRelease leaves an uninstalled record
        _kubectl(env, "delete", "helmreleases.helm.toolkit.fluxcd.io", "orphan", "-n",
                 namespace, "--timeout=120s")
        assert [h["status"] for h in _history(env, "orphan", namespace)] == ["uninstalled"]
        assert not _live(env, "configmap", "orphan-podinfo", namespace)


def test_a_drift_watch_never_acts_on_a_release_the_controller_does_not_watch(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    """The drift watches see every namespace (a release's objects may live in another):
    a change to an object labelled as another namespace's HelmRelease's is not this
    controller's to act on (nor another shard's)."""
    other = ("x" + namespace)[:63].rstrip("-")
    _kubectl(env, "create", "namespace", other)
    try:
        with podinfo_source(env, namespace, kubeconfig, tmp_path), \
                _controller(env, namespace, tmp_path, 2) as controller:
            _kubectl(env, "apply", "-f", "-", stdin=_release(
                "mine", namespace, driftDetection={"mode": "enabled"}))
            _until("mine Ready", _state(env, namespace, "mine", "True"), controller.log)
            _kubectl(env, "apply", "-f", "-", stdin=_release(
                "theirs", other, driftDetection={"mode": "enabled"}))
            labels = {"helm.toolkit.fluxcd.io/name": "theirs",
                      "helm.toolkit.fluxcd.io/namespace": other}
            _kubectl(env, "apply", "-f", "-", stdin=json.dumps({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "theirs-podinfo", "namespace": other,
                             "labels": labels}, "data": {"message": "one"}}))
            for message in ("two", "three"):  # drift of the other namespace's release
                _kubectl(env, "patch", "configmap", "theirs-podinfo", "-n", other,
                         "--type=merge", "-p", json.dumps({"data": {"message": message}}))
            # mine's own drift is still seen (the watch is up), and theirs was left alone
            _kubectl(env, "delete", "configmap", "mine-podinfo", "-n", namespace)
            _eventually("mine-podinfo created again", lambda: bool(
                _live(env, "configmap", "mine-podinfo", namespace)))
            time.sleep(2)
            untouched = {"observedGeneration": -1}  # the CRD's default: never reconciled
            assert _get(env, other, "theirs").get("status") == untouched
            assert _live(env, "configmap", "theirs-podinfo", other)["data"] == {
                "message": "three"}
            assert f"{other}/theirs" not in controller.log.read_text()
    finally:
        drop_finalizers(env, other)
        _kubectl(env, "delete", "namespace", other, "--wait=false")
