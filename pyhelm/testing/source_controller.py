"""Flux's real source-controller (v1.9.6, built by ``pyhelm.testing.flux_build``) run
beside the test control plane as a process: kwok runs no containers, so it runs out of
cluster with the cluster's kubeconfig, its own TMPDIR, storage under a directory of the
test, and its artifact server on 127.0.0.1 at a free port. Its CRDs (OCIRepository,
HelmChart, HelmRepository, and the other kinds it watches) are applied from its module
in the Go module cache.

    with running_source_controller(kubeconfig, tmp_path) as source:
        kube.create(oci_repository("podinfo", "apps", "oci://127.0.0.1:5000/charts/podinfo",
                                   "0.1.0"))
        artifact = wait_for_artifact(kube, "OCIRepository", "podinfo", "apps")
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE_API = "source.toolkit.fluxcd.io/v1"
HELM_CHART_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
# variables that would send source-controller's requests to 127.0.0.1 through a proxy
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                    "https_proxy", "all_proxy", "no_proxy")


class SourceControllerError(RuntimeError):
    """source-controller did not start, or a source did not become ready."""


@dataclass(frozen=True)
class SourceController:
    storage_address: str  # 127.0.0.1:PORT, the artifact server
    log: Path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install_source_crds(kubeconfig: str, timeout: float = 60.0) -> None:
    """Apply source-controller v1.9.6's CRDs (server-side) and wait until they are
    served."""
    import yaml

    from pyhelm.kube.client import connect
    from pyhelm.testing.crd_gen import source_crds

    kube = connect(kubeconfig=kubeconfig)
    try:
        names = []
        for path in source_crds():
            crd = yaml.safe_load(path.read_text())
            kube.apply(crd, field_manager="pyhelm-tests", force=True)
            names.append(crd["metadata"]["name"])
        deadline = time.monotonic() + timeout
        for name in names:
            while not _established(kube.get("apiextensions.k8s.io/v1",
                                            "CustomResourceDefinition", name)):
                if time.monotonic() > deadline:
                    raise SourceControllerError(f"CRD {name} not established in {timeout}s")
                time.sleep(0.2)
    finally:
        kube.close()


def _established(crd: dict[str, Any]) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


@contextlib.contextmanager
def running_source_controller(kubeconfig: str, workdir: Path, timeout: float = 60.0
                              ) -> Iterator[SourceController]:
    """Install the CRDs, start source-controller watching every namespace, wait until it
    is ready; stop it (SIGTERM, then SIGKILL) after."""
    from pyhelm.testing.flux_build import SOURCE_CONTROLLER

    binary = SOURCE_CONTROLLER.build()
    install_source_crds(kubeconfig)
    storage, tmp = workdir / "storage", workdir / "tmp"
    storage.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{_free_port()}"
    health = f"127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARIABLES}
    env.update(KUBECONFIG=kubeconfig, TMPDIR=str(tmp), RUNTIME_NAMESPACE="flux-system")
    argv = [str(binary), "--watch-all-namespaces=true", "--enable-leader-election=false",
            f"--storage-path={storage}", f"--storage-addr={address}",
            f"--storage-adv-addr={address}", f"--metrics-addr=127.0.0.1:{_free_port()}",
            f"--health-addr={health}", "--log-level=debug", "--concurrent=4"]
    log = workdir / "source-controller.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    try:
        _wait_ready(health, process, log, timeout)
        yield SourceController(storage_address=address, log=log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_ready(health: str, process: subprocess.Popen[bytes], log: Path,
                timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://{health}/readyz", timeout=1).close()
            return
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise SourceControllerError(
                    f"source-controller did not become ready: {tail}") from None
            time.sleep(0.2)


def oci_repository(name: str, namespace: str, url: str, tag: str,
                   interval: str = "1m") -> dict[str, Any]:
    """An OCIRepository of a Helm chart in a plain-HTTP registry: the chart layer is the
    artifact, copied as it is (a .tgz)."""
    return {"apiVersion": SOURCE_API, "kind": "OCIRepository",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"url": url, "insecure": True, "interval": interval,
                     "ref": {"tag": tag},
                     "layerSelector": {"mediaType": HELM_CHART_MEDIA_TYPE,
                                       "operation": "copy"}}}


def wait_for_artifact(kube: Any, kind: str, name: str, namespace: str,
                      timeout: float = 120.0, revision_prefix: str = "") -> dict[str, Any]:
    """The source's ``status.artifact`` once it is Ready (and its revision starts with
    ``revision_prefix``)."""
    deadline = time.monotonic() + timeout
    while True:
        obj = kube.get(SOURCE_API, kind, name, namespace)
        status = obj.get("status") or {}
        artifact = status.get("artifact")
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in status.get("conditions") or [])
        if ready and artifact and str(artifact.get("revision", "")).startswith(
                revision_prefix):
            return dict(artifact)
        if time.monotonic() > deadline:
            raise SourceControllerError(f"{kind} {namespace}/{name} has no artifact after "
                                        f"{timeout}s: {status}")
        time.sleep(0.5)
