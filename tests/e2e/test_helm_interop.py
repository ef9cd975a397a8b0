"""Helm 4 and pyhelm manage each other's releases on the real cluster."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import pyhelm
from pyhelm.kube.client import connect
from pyhelm.testing.peers import helm_binary

pytestmark = [pytest.mark.cluster, pytest.mark.helm]

DEMO = Path(__file__).resolve().parents[2] / "charts" / "demo"


def helm(kubeconfig: str, namespace: str, *args: str) -> str:
    done = subprocess.run([str(helm_binary()), "--kubeconfig", kubeconfig, "-n", namespace,
                           *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"helm {' '.join(args)}: {done.stderr}"
    return done.stdout


def test_helm_reads_and_rolls_back_a_pyhelm_release(kubeconfig: str, namespace: str) -> None:
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("web", str(DEMO), wait=True, timeout="2m")
    client.upgrade("web", str(DEMO), values={"replicaCount": 2}, wait=True)
    listed = json.loads(helm(kubeconfig, namespace, "list", "-o", "json"))
    assert [(r["name"], r["revision"], r["status"]) for r in listed] == [
        ("web", "2", "deployed")]
    history = json.loads(helm(kubeconfig, namespace, "history", "web", "-o", "json"))
    assert [h["status"] for h in history] == ["superseded", "deployed"]
    assert "STATUS: deployed" in helm(kubeconfig, namespace, "status", "web")
    values = json.loads(helm(kubeconfig, namespace, "get", "values", "web", "-o", "json"))
    assert values == {"replicaCount": 2}
    assert "kind: Deployment" in helm(kubeconfig, namespace, "get", "manifest", "web")
    assert "installed as release web" in helm(kubeconfig, namespace, "get", "notes", "web")
    helm(kubeconfig, namespace, "rollback", "web", "1", "--wait")
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    assert kube.get("apps/v1", "Deployment", "web-demo", namespace)["spec"]["replicas"] == 1
    assert [r.version for r in client.history("web")] == [1, 2, 3]


def go_chart(root: Path) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: gotiny\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("color: blue\n")
    (root / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
        "data:\n  color: {{ .Values.color | quote }}\n")
    return root


def test_pyhelm_reads_and_rolls_back_a_helm_release(kubeconfig: str, namespace: str,
                                                    tmp_path: Path) -> None:
    chart = go_chart(tmp_path / "gotiny")
    helm(kubeconfig, namespace, "install", "made-by-helm", str(chart))
    helm(kubeconfig, namespace, "upgrade", "made-by-helm", str(chart), "--set", "color=red")
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    assert [r.name for r in client.list()] == ["made-by-helm"]
    assert client.get_values("made-by-helm") == {"color": "red"}
    assert [r.info.status.value for r in client.history("made-by-helm")] == [
        "superseded", "deployed"]
    client.rollback("made-by-helm", 1)
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    live = kube.get("v1", "ConfigMap", "made-by-helm-cm", namespace)
    assert live["data"] == {"color": "blue"}
    history = json.loads(helm(kubeconfig, namespace, "history", "made-by-helm", "-o", "json"))
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
