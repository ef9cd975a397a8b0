"""``pyhelm controller`` on the real API server with Flux's real source-controller: a
chart pushed to a registry on 127.0.0.1, an OCIRepository for it (and a HelmChart of a
HelmRepository serving the same package), HelmRelease objects applied with kubectl; the
controller installs, upgrades on a values change, reports a bad chartRef without holding
up the others, and the releases are ordinary Helm records (helm 4.3.1 and pyhelm read
them)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import peers
from pyhelm.testing.registry import free_port, running_registry
from pyhelm.testing.source_controller import (
    SOURCE_API,
    oci_repository,
    running_source_controller,
    wait_for_artifact,
)
from tests.e2e.controller_support import (
    CHART,
    CRD,
    HR_API,
    drop_finalizers,
)
from tests.e2e.controller_support import kubectl as _kubectl
from tests.e2e.controller_support import pyhelm as _pyhelm
from tests.e2e.controller_support import run as _run

pytestmark = [pytest.mark.cluster, pytest.mark.helm, pytest.mark.registry]



@contextlib.contextmanager
def _serving(directory: Path) -> Iterator[str]:
    """A plain HTTP chart repository of ``directory`` on 127.0.0.1."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig)


def _flux(env: dict[str, str], *args: str) -> str:
    from pyhelm.testing.flux_build import FLUX

    return _run([str(FLUX.build()), *args], env)


def _helmrelease(name: str, namespace: str, source: str, interval: str,
                 values: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": HR_API, "kind": "HelmRelease",
                       "metadata": {"name": name, "namespace": namespace},
                       "spec": {"interval": interval, "timeout": "2m",
                                "chartRef": {"kind": "OCIRepository", "name": source},
                                "values": values}})


def _get(env: dict[str, str], namespace: str, name: str) -> dict[str, Any]:
    out = _kubectl(env, "get", "helmreleases.helm.toolkit.fluxcd.io", name, "-n", namespace,
                   "-o", "json")
    result: dict[str, Any] = json.loads(out)
    return result


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition["type"] == kind:
            return dict(condition)
    return {}


def _until(what: str, probe: Callable[[], dict[str, Any] | None], log: Path,
           timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            name = what.split()[0]  # the HelmRelease's lines of the log
            lines = [line for line in log.read_text(errors="replace").splitlines()
                     if f'"name": "{name}"' in line or '"HelmRelease"' not in line]
            pytest.fail(f"{what} not reached in {timeout}s; controller log:\n"
                        + "\n".join(lines[-15:]))
        time.sleep(0.5)


@dataclasses.dataclass
class Running:
    process: subprocess.Popen[bytes]
    log: Path
    health: str
    metrics: str


@pytest.fixture
def controller(env: dict[str, str], namespace: str, tmp_path: Path) -> Iterator[Running]:
    log = tmp_path / "controller.log"
    health, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pyhelm", "controller", "--watch-all-namespaces=false",
             "--concurrent", "2", "--health-addr", health, "--metrics-addr", metrics],
            env={**env, "RUNTIME_NAMESPACE": namespace}, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Running(process, log, health, metrics)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        drop_finalizers(env, namespace)


def test_controller_installs_upgrades_and_reports_a_bad_chart_ref(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path,
        controller: Running) -> None:
    process, log = controller.process, controller.log
    target_ns = f"{namespace[:56]}-target"
    chart = tmp_path / "podinfo"
    for name, text in CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    _pyhelm(env, "package", str(chart), "-d", str(tmp_path))
    package = tmp_path / "podinfo-0.1.0.tgz"
    with running_registry(tmp_path / "registry") as host, \
            running_source_controller(kubeconfig, tmp_path / "source") as source:
        _pyhelm(env, "push", str(package), f"oci://{host}/charts")
        _kubectl(env, "apply", "--server-side", "-f", str(CRD))
        _kubectl(env, "wait", "--for=condition=Established", "--timeout=60s",
                 "crd/helmreleases.helm.toolkit.fluxcd.io")
        repository = oci_repository("podinfo", namespace, f"oci://{host}/charts/podinfo",
                                    "0.1.0")
        _kubectl(env, "apply", "-f", "-", stdin=json.dumps(repository))

        from pyhelm.kube.client import connect

        kube = connect(kubeconfig=kubeconfig)
        artifact = wait_for_artifact(kube, "OCIRepository", "podinfo", namespace)
        # the artifact is the pushed chart, served by source-controller on 127.0.0.1
        assert artifact["url"].startswith(f"http://{source.storage_address}/")
        assert artifact["digest"] == "sha256:" + hashlib.sha256(
            package.read_bytes()).hexdigest()
        assert artifact["revision"].startswith("0.1.0@sha256:")

        web_spec = json.loads(_helmrelease("web", namespace, "podinfo", "10m",
                                           {"message": "one"}))
        web_spec["spec"]["test"] = {"enable": True}
        _kubectl(env, "apply", "-f", "-", stdin=json.dumps(web_spec))
        _kubectl(env, "apply", "-f", "-", stdin=_helmrelease(
            "broken", namespace, "missing", "3s", {}))

        def ready(name: str, generation: int) -> Callable[[], dict[str, Any] | None]:
            def probe() -> dict[str, Any] | None:
                obj = _get(env, namespace, name)
                status = obj.get("status") or {}
                ok = (_condition(obj, "Ready").get("status") == "True"
                      and status.get("observedGeneration") == generation)
                return obj if ok else None
            return probe

        web = _until("web Ready", ready("web", 1), log)
        # helm-controller's endpoints: health probes and Prometheus metrics
        with urllib.request.urlopen(f"http://{controller.health}/readyz", timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://{controller.metrics}/metrics", timeout=10) as r:
            scraped = r.read().decode()
        assert (f'gotk_reconcile_duration_seconds_count{{kind="HelmRelease",name="web",'
                f'namespace="{namespace}"}}') in scraped
        assert 'pyhelm_controller_reconciles_total{result="install"}' in scraped
        status = web["status"]
        assert _condition(web, "Released")["reason"] == "InstallSucceeded"
        assert _condition(web, "TestSuccess")["reason"] == "TestSucceeded"
        assert "1 test hooks completed" in _condition(web, "TestSuccess")["message"]
        assert status["lastAttemptedRevision"] == "0.1.0"
        assert status["lastAttemptedRevisionDigest"] == artifact["digest"]
        assert status["lastAttemptedConfigDigest"].startswith("sha256:")
        assert [(h["name"], h["namespace"], h["version"], h["status"], h["chartName"],
                 h["chartVersion"]) for h in status["history"]] == [
            ("web", namespace, 1, "deployed", "podinfo", "0.1.0")]
        assert _condition(web, "Ready")["observedGeneration"] == 1

        def broken_failed() -> dict[str, Any] | None:
            obj = _get(env, namespace, "broken")
            return obj if _condition(obj, "Ready").get("status") == "False" else None

        broken = _until("broken Ready=False", broken_failed, log)
        assert _condition(broken, "Ready")["reason"] == "ArtifactFailed"
        assert f"OCIRepository/{namespace}/missing" in _condition(broken, "Ready")["message"]

        # ordinary Helm records: helm and pyhelm read them
        history = json.loads(_run([str(peers.helm_binary()), "history", "web", "-n",
                                   namespace, "-o", "json"], env))
        assert [(h["revision"], h["status"], h["chart"]) for h in history] == [
            (1, "deployed", "podinfo-0.1.0")]
        assert "deployed" in _pyhelm(env, "history", "web", "-n", namespace)
        values = json.loads(_run([str(peers.helm_binary()), "get", "values", "web", "-n",
                                  namespace, "-o", "json"], env))
        assert values == {"message": "one"}

        # a values change: a new generation, a new revision, Ready again
        _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n",
                 namespace, "--type=merge", "-p", '{"spec":{"values":{"message":"two"}}}')
        web = _until("web upgraded", ready("web", 2), log)
        assert _condition(web, "Released")["reason"] == "UpgradeSucceeded"
        assert _condition(web, "TestSuccess")["observedGeneration"] == 2
        assert [h["version"] for h in web["status"]["history"]] == [2, 1]
        configmap = json.loads(_kubectl(env, "get", "configmap", "web-podinfo", "-n",
                                        namespace, "-o", "json"))
        assert configmap["data"] == {"message": "two"}
        history = json.loads(_run([str(peers.helm_binary()), "history", "web", "-n",
                                   namespace, "-o", "json"], env))
        assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"),
                                                                 (2, "deployed")]

        # the flux CLI (v2.9.5) works unchanged against it
        listed_flux = _flux(env, "get", "helmreleases", "-A")
        row = next(line.split() for line in listed_flux.splitlines()
                   if line.split()[:2] == [namespace, "web"])
        assert row[2:5] == ["0.1.0", "False", "True"], listed_flux  # revision, suspended, ready
        _flux(env, "reconcile", "helmrelease", "web", "-n", namespace, "--timeout", "2m")
        _flux(env, "suspend", "helmrelease", "web", "-n", namespace)
        assert _get(env, namespace, "web")["spec"]["suspend"] is True
        row = _flux(env, "get", "helmreleases", "web", "-n", namespace).splitlines()[1].split()
        assert row[1:3] == ["0.1.0", "True"], row
        _flux(env, "resume", "helmrelease", "web", "-n", namespace, "--timeout", "2m")
        web = _get(env, namespace, "web")
        assert _condition(web, "Ready")["status"] == "True"
        assert web["status"]["observedGeneration"] == web["metadata"]["generation"]
        assert web["status"]["lastHandledReconcileAt"] == \
            web["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
        history = json.loads(_run([str(peers.helm_binary()), "history", "web", "-n",
                                   namespace, "-o", "json"], env))
        assert len(history) == 2  # reconcile, suspend and resume made no new revision

        # a failing upgrade is remediated: rolled back, tried once more, rolled back again
        _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n",
                 namespace, "--type=merge", "-p", json.dumps({"spec": {
                     "values": {"replicaCount": "many"},
                     "upgrade": {"remediation": {"retries": 1}}}}))

        def remediated() -> dict[str, Any] | None:
            obj = _get(env, namespace, "web")
            ok = ((obj.get("status") or {}).get("upgradeFailures") == 2
                  and _condition(obj, "Remediated").get("reason") == "RollbackSucceeded")
            return obj if ok else None

        web = _until("web remediated", remediated, log)
        assert _condition(web, "Ready")["status"] == "False"
        assert _condition(web, "Ready")["reason"] == "UpgradeFailed"
        history = json.loads(_run([str(peers.helm_binary()), "history", "web", "-n",
                                   namespace, "-o", "json"], env))
        # maxHistory (5 by default) keeps revisions 2 to 6
        assert [(h["revision"], h["status"]) for h in history] == [
            (2, "superseded"), (3, "failed"), (4, "superseded"), (5, "failed"),
            (6, "deployed")]
        assert [h["description"] for h in history][2::2] == ["Rollback to 2", "Rollback to 4"]
        # good values again: released, Remediated cleared
        _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n",
                 namespace, "--type=merge", "-p",
                 '{"spec":{"values":{"replicaCount":0,"message":"two"}}}')
        web = _until("web released again", ready("web", int(
            _get(env, namespace, "web")["metadata"]["generation"])), log)
        assert _condition(web, "Remediated") == {}

        # spec.chartRef to a HelmChart of a HelmRepository (an HTTP chart repository)
        repo_dir = tmp_path / "repo"
        repo_dir.mkdir()
        shutil.copy(package, repo_dir)
        with _serving(repo_dir) as url:
            _pyhelm(env, "repo", "index", str(repo_dir), "--url", url)
            _kubectl(env, "apply", "-f", "-", stdin=json.dumps({
                "apiVersion": SOURCE_API, "kind": "HelmRepository",
                "metadata": {"name": "charts", "namespace": namespace},
                "spec": {"url": url, "interval": "10m"}}))
            _kubectl(env, "apply", "-f", "-", stdin=json.dumps({
                "apiVersion": SOURCE_API, "kind": "HelmChart",
                "metadata": {"name": "podinfo", "namespace": namespace},
                "spec": {"chart": "podinfo", "version": "0.1.x", "interval": "10m",
                         "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}))
            chart_artifact = wait_for_artifact(kube, "HelmChart", "podinfo", namespace)
            assert chart_artifact["revision"] == "0.1.0"
            hr = json.loads(_helmrelease("from-repo", namespace, "podinfo", "10m",
                                         {"message": "from a repository"}))
            hr["spec"]["chartRef"] = {"kind": "HelmChart", "name": "podinfo"}
            hr["spec"]["releaseName"] = "repo-web"
            # objects in another namespace (created), records in the HelmRelease's
            hr["spec"]["targetNamespace"] = target_ns
            hr["spec"]["install"] = {"createNamespace": True}
            _kubectl(env, "apply", "-f", "-", stdin=json.dumps(hr))
            from_repo = _until("from-repo Ready", ready("from-repo", 1), log)
            # spec.chart: the controller makes (and owns) the HelmChart
            templated = json.loads(_helmrelease("templated", namespace, "", "10m", {}))
            del templated["spec"]["chartRef"]
            templated["spec"]["chart"] = {"spec": {
                "chart": "podinfo", "version": "0.1.*",
                "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}
            # and its values from a ConfigMap
            templated["spec"]["valuesFrom"] = [{"kind": "ConfigMap", "name": "overrides"}]
            _kubectl(env, "create", "configmap", "overrides", "-n", namespace,
                     "--from-literal=values.yaml=message: from a configmap")
            _kubectl(env, "apply", "-f", "-", stdin=json.dumps(templated))
            done = _until("templated Ready", ready("templated", 1), log)
        assert done["status"]["helmChart"] == f"{namespace}/{namespace}-templated"
        made = kube.get(SOURCE_API, "HelmChart", f"{namespace}-templated", namespace)
        assert made["spec"]["sourceRef"] == {"kind": "HelmRepository", "name": "charts"}
        assert [o["name"] for o in made["metadata"]["ownerReferences"]] == ["templated"]
        configmap = json.loads(_kubectl(env, "get", "configmap", "templated-podinfo", "-n",
                                        namespace, "-o", "json"))
        assert configmap["data"] == {"message": "from a configmap"}
        assert from_repo["status"]["lastAttemptedRevisionDigest"] == chart_artifact["digest"]
        assert from_repo["status"]["history"][0]["name"] == "repo-web"
        listed = json.loads(_run([str(peers.helm_binary()), "list", "-n", namespace, "-o",
                                  "json"], env))
        assert sorted((r["name"], r["namespace"], r["chart"]) for r in listed) == [
            ("repo-web", target_ns, "podinfo-0.1.0"),
            ("templated", namespace, "podinfo-0.1.0"), ("web", namespace, "podinfo-0.1.0")]
        target = json.loads(_kubectl(env, "get", "configmap", "repo-web-podinfo", "-n",
                                     target_ns, "-o", "json"))
        assert target["data"] == {"message": "from a repository"}

        # the broken one recovers on its own interval once its source exists
        _kubectl(env, "apply", "-f", "-", stdin=json.dumps(oci_repository(
            "missing", namespace, f"oci://{host}/charts/podinfo", "0.1.0")))
        _until("broken Ready", ready("broken", 1), log)

        # deleting a HelmRelease uninstalls its release first (helm-controller's finalizer)
        assert _get(env, namespace, "web")["metadata"]["finalizers"] == [
            "finalizers.fluxcd.io"]
        _kubectl(env, "delete", "helmreleases.helm.toolkit.fluxcd.io", "web", "-n",
                 namespace, "--timeout=120s")
        listed = json.loads(_run([str(peers.helm_binary()), "list", "-n", namespace, "-o",
                                  "json"], env))
        assert "web" not in [r["name"] for r in listed]
        assert "configmap/web-podinfo" not in _kubectl(
            env, "get", "configmaps", "-n", namespace, "-o", "name").split()
        _kubectl(env, "delete", "helmreleases.helm.toolkit.fluxcd.io", "--all", "-n",
                 namespace, "--timeout=120s")
        assert json.loads(_run([str(peers.helm_binary()), "list", "-n", namespace, "-o",
                                "json"], env)) == []
        assert "configmap/repo-web-podinfo" not in _kubectl(
            env, "get", "configmaps", "-n", target_ns, "-o", "name").split()
        _kubectl(env, "delete", "namespace", target_ns, "--wait=false")
        kube.close()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert '"msg": "stopped"' in log.read_text()


def test_reconcile_release_is_a_function_of_pyhelm(kubeconfig: str, namespace: str) -> None:
    """Without the loop, without a source: one step, a typed result, the status written."""
    from pyhelm.controller.reconcile import reconcile_release
    from pyhelm.kube.client import connect

    env = {**os.environ, "KUBECONFIG": kubeconfig}
    _kubectl(env, "apply", "--server-side", "-f", str(CRD))
    _kubectl(env, "wait", "--for=condition=Established", "--timeout=60s",
             "crd/helmreleases.helm.toolkit.fluxcd.io")
    _kubectl(env, "apply", "-f", "-", stdin=_helmrelease("alone", namespace, "nowhere", "1m",
                                                         {}))
    kube = connect(kubeconfig=kubeconfig)
    try:
        obj = kube.get(HR_API, "HelmRelease", "alone", namespace)
        result = reconcile_release(kube, obj)
        assert (result.action, result.ready, result.reason) == (
            "failed", False, "ArtifactFailed")
        written = kube.get(HR_API, "HelmRelease", "alone", namespace)
        assert _condition(written, "Ready")["message"] == result.message
        assert written["status"]["observedGeneration"] == 1
    finally:
        kube.close()
