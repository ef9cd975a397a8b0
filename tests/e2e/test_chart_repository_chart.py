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
