"""Helm 4 interop through the pyhelm command (the library path is in test_helm_interop)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers
from pyhelm.testing.peers import helm_binary, kubectl_binary

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def helm_env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)


def helm(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(helm_binary()), *args], env=env, capture_output=True,
                            text=True, timeout=180, check=False)
    assert result.returncode == 0, f"helm {' '.join(args)}: {result.stderr}"
    return result.stdout


def pyhelm(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "pyhelm", *args], env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, f"pyhelm {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_helm_reads_and_rolls_back_a_pyhelm_release(helm_env: dict[str, str],
                                                     namespace: str) -> None:
    chart = str(ROOT / "charts/demo")
    pyhelm(helm_env, "-n", namespace, "install", "web", chart, "--set", "config.greeting=hi",
           "--wait", "--timeout", "90s")
    pyhelm(helm_env, "-n", namespace, "upgrade", "web", chart, "--set", "replicaCount=2",
           "--wait", "--timeout", "90s")

    listed = json.loads(helm(helm_env, "list", "-n", namespace, "-o", "json"))
    assert [(r["name"], r["revision"], r["status"], r["chart"]) for r in listed] == [
        ("web", "2", "deployed", "demo-0.1.0")]
    history = json.loads(helm(helm_env, "history", "web", "-n", namespace, "-o", "json"))
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"),
                                                             (2, "deployed")]
    assert "STATUS: deployed" in helm(helm_env, "status", "web", "-n", namespace)
    values = json.loads(helm(helm_env, "get", "values", "web", "-n", namespace, "-o", "json"))
    assert values == {"replicaCount": 2}
    manifest = helm(helm_env, "get", "manifest", "web", "-n", namespace)
    assert "# Source: demo/templates/deployment.yaml" in manifest
    assert "demo is installed as release web" in helm(helm_env, "get", "notes", "web",
                                                       "-n", namespace)

    helm(helm_env, "rollback", "web", "1", "-n", namespace)
    history_text = pyhelm(helm_env, "-n", namespace, "history", "web")
    assert "Rollback to 1" in history_text
    values_now = pyhelm(helm_env, "-n", namespace, "get", "values", "web", "-o", "json")
    assert json.loads(values_now) == {"config": {"greeting": "hi"}}


def test_pyhelm_reads_and_rolls_back_a_helm_release(helm_env: dict[str, str],
                                                     namespace: str, tmp_path: Path) -> None:
    helm(helm_env, "create", str(tmp_path / "gochart"))
    helm(helm_env, "install", "gorel", str(tmp_path / "gochart"), "-n", namespace,
         "--set", "replicaCount=2")
    helm(helm_env, "upgrade", "gorel", str(tmp_path / "gochart"), "-n", namespace,
         "--set", "replicaCount=3")

    listed = json.loads(pyhelm(helm_env, "-n", namespace, "list", "-o", "json"))
    assert [(r["name"], str(r["revision"]), r["status"]) for r in listed] == [
        ("gorel", "2", "deployed")]
    assert json.loads(pyhelm(helm_env, "-n", namespace, "get", "values", "gorel",
                             "-o", "json")) == {"replicaCount": 3}
    pyhelm(helm_env, "-n", namespace, "rollback", "gorel", "1", "--wait", "--timeout", "90s")
    history = json.loads(helm(helm_env, "history", "gorel", "-n", namespace, "-o", "json"))
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
    deployment = json.loads(subprocess.run(
        [str(kubectl_binary()), "get", "deployment", "gorel-gochart", "-n",
         namespace, "-o", "json"], env=helm_env, capture_output=True, text=True,
        check=True).stdout)
    assert deployment["spec"]["replicas"] == 2


@pytest.mark.parametrize("flags", [["--dry-run=server"], ["--dry-run=client"], []])
def test_template_dry_run_server_reads_the_cluster_as_helm(tmp_path: Path, kubeconfig: str,
                                                           flags: list[str]) -> None:
    """`template --dry-run=server`: the cluster's Kubernetes version and API versions,
    and `lookup` reading it; otherwise Helm's defaults and an empty lookup."""
    chart = tmp_path / "looks"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: looks\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        "  ns: {{ dig \"metadata\" \"name\" \"none\" (lookup \"v1\" \"Namespace\" \"\" "
        "\"kube-system\") | quote }}\n")
    env = {**os.environ, "KUBECONFIG": kubeconfig, "HELM_CONFIG_HOME": str(tmp_path / "c"),
           "HELM_CACHE_HOME": str(tmp_path / "k"), "HELM_DATA_HOME": str(tmp_path / "d")}
    outputs = [subprocess.run([tool, "template", "x", str(chart), *flags], env=env,
                              capture_output=True, text=True, check=False)
               for tool in (str(helm_binary()), str(Path(sys.executable).with_name("pyhelm")))]
    assert outputs[0].returncode == 0, outputs[0].stderr
    assert (outputs[1].returncode, outputs[1].stdout) == (0, outputs[0].stdout)
    assert ('ns: "kube-system"' in outputs[1].stdout) == (flags == ["--dry-run=server"])
