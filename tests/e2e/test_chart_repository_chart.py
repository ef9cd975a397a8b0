"""charts/chart-repository (the chart that deploys ``pyhelm repo serve``) installs on the
real control plane: replicas, Service, Ingress, credentials Secret, scrape annotations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.kube.client import connect

pytestmark = pytest.mark.cluster

CHART = Path(__file__).resolve().parents[2] / "charts" / "chart-repository"


def test_chart_repository_chart_installs_with_replicas_and_credentials(
        kubeconfig: str, namespace: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyhelm", "--kubeconfig", kubeconfig, "-n", namespace,
         "install", "charts", str(CHART), "--wait", "--timeout", "2m",
         "--set", "ingress.enabled=true", "--set", "auth.password=s3cret",
         "--set", "s3.endpoint=http://seaweedfs:8333", "--set", "replicaCount=3"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    deployment = kube.get("apps/v1", "Deployment", "charts-chart-repository", namespace)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["status"].get("readyReplicas") == 3
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    args = pod["spec"]["containers"][0]["args"]
    assert args[:3] == ["repo", "serve", "--storage=s3://charts/stable"]
    assert "--enable-upload" in args and "--workers=2" in args
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["PYHELM_S3_ENDPOINT"]["value"] == "http://seaweedfs:8333"
    assert env["PYHELM_REPO_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == \
        "charts-chart-repository-credentials"
    secret = kube.get("v1", "Secret", "charts-chart-repository-credentials", namespace)
    import base64

    assert base64.b64decode(secret["data"]["password"]) == b"s3cret"
    service = kube.get("v1", "Service", "charts-chart-repository", namespace)
    assert service["spec"]["ports"][0]["port"] == 8080
    ingress = kube.get("networking.k8s.io/v1", "Ingress", "charts-chart-repository", namespace)
    assert ingress["spec"]["rules"][0]["host"] == "charts.example.com"


def test_a_token_only_install_refuses_basic_auth(kubeconfig: str, namespace: str,
                                                 tmp_path: Path) -> None:
    """Installed with only ``auth.token``: the Deployment's server (its args, and its
    environment as the kubelet would resolve it from the Secret) run on this machine,
    refuses Basic ``admin:`` and takes the token. The pods on the control plane's fake
    nodes run no container, so the server runs here."""
    import base64
    import os
    import signal
    import time
    import urllib.error
    import urllib.request

    from pyhelm.testing.seaweedfs import free_port

    done = subprocess.run(
        [sys.executable, "-m", "pyhelm", "--kubeconfig", kubeconfig, "-n", namespace,
         "install", "charts", str(CHART), "--wait", "--timeout", "2m",
         "--set", "auth.token=t0ken", "--set", "replicaCount=1"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    container = kube.get("apps/v1", "Deployment", "charts-chart-repository", namespace)[
        "spec"]["template"]["spec"]["containers"][0]
    assert not [a for a in container["args"] if a.startswith("--username")]
    secret = kube.get("v1", "Secret", "charts-chart-repository-credentials", namespace)
    stored = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert stored == {"token": "t0ken"}
    env = {e["name"]: stored[e["valueFrom"]["secretKeyRef"]["key"]]
           for e in container["env"]
           if "valueFrom" in e and e["valueFrom"]["secretKeyRef"]["key"] in stored}
    port = free_port()
    args = [a for a in container["args"] if not a.startswith(("--storage", "--address"))]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("pyhelm")), *args, "--storage",
         str(tmp_path / "repo"), "--address", f"127.0.0.1:{port}"],
        env={**os.environ, "PYHELM_COMMAND_SERVER": "0", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def status(path: str, authorization: str, data: bytes | None = None) -> int:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     headers={"Authorization": authorization})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if status("/health", "") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)
        empty = "Basic " + base64.b64encode(b"admin:").decode()
        assert status("/api/charts", empty, b"not even a chart") == 401
        assert status("/api/charts", "Bearer t0ken", b"not even a chart") == 400
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
