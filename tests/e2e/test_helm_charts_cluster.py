"""Helm (Go template) charts on the real API server, with Helm 4 beside pyhelm.

A community chart installed by pyhelm is upgraded by Helm and rolled back by pyhelm, and
the other way round; both tools read every revision. When Helm upgrades a pyhelm
revision with the same values, the manifest it records is the one pyhelm recorded: the
render on the cluster (capabilities from discovery) is Helm's. ``lookup`` reads the
live cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "helm-charts"
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)


def tool(binary: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, f"{binary} {' '.join(args)}: {done.stderr}"
    return done.stdout


def helm(env: dict[str, str], *args: str) -> str:
    return tool(str(peers.helm_binary()), env, *args)


def pyhelm(env: dict[str, str], *args: str) -> str:
    return tool(PYHELM, env, *args)


def history(env: dict[str, str], name: str, namespace: str) -> list[tuple[int, str]]:
    by_helm = json.loads(helm(env, "history", name, "-n", namespace, "-o", "json"))
    by_pyhelm = json.loads(pyhelm(env, "-n", namespace, "history", name, "-o", "json"))
    assert [(h["revision"], h["status"]) for h in by_helm] == \
        [(int(h["revision"]), h["status"]) for h in by_pyhelm]
    return [(h["revision"], h["status"]) for h in by_helm]


def manifest(env: dict[str, str], name: str, namespace: str, revision: int) -> str:
    return helm(env, "get", "manifest", name, "-n", namespace, "--revision", str(revision))


def test_pyhelm_install_helm_upgrade_pyhelm_rollback(env: dict[str, str],
                                                     namespace: str) -> None:
    chart = str(CORPUS / "prometheus-node-exporter")
    pyhelm(env, "-n", namespace, "install", "pne", chart, "--set", "service.port=9200",
           "--wait", "--timeout", "120s")
    helm(env, "upgrade", "pne", chart, "-n", namespace, "--reuse-values")
    assert manifest(env, "pne", namespace, 2) == manifest(env, "pne", namespace, 1)
    helm(env, "upgrade", "pne", chart, "-n", namespace, "--reuse-values",
         "--set", "podLabels.tier=metrics")
    pyhelm(env, "-n", namespace, "rollback", "pne", "1", "--wait", "--timeout", "120s")
    assert history(env, "pne", namespace) == [(1, "superseded"), (2, "superseded"),
                                              (3, "superseded"), (4, "deployed")]
    assert manifest(env, "pne", namespace, 4) == manifest(env, "pne", namespace, 1)
    values = json.loads(helm(env, "get", "values", "pne", "-n", namespace, "-o", "json"))
    assert values == {"service": {"port": 9200}}
    service = json.loads(subprocess.run(
        [str(peers.kubectl_binary()), "get", "service", "pne-prometheus-node-exporter",
         "-n", namespace, "-o", "json"], env=env, capture_output=True, text=True,
        check=True).stdout)
    assert service["spec"]["ports"][0]["port"] == 9200


def test_helm_install_pyhelm_upgrade_helm_rollback(env: dict[str, str],
                                                   namespace: str) -> None:
    chart = str(CORPUS / "metrics-server")
    # no APIService: nothing serves metrics here, and an aggregated API that never answers
    # breaks discovery for every later test on this cluster
    helm(env, "install", "ms", chart, "-n", namespace, "--set", "replicas=2",
         "--set", "apiService.create=false")
    pyhelm(env, "-n", namespace, "upgrade", "ms", chart, "--reuse-values")
    assert manifest(env, "ms", namespace, 2) == manifest(env, "ms", namespace, 1)
    diff = pyhelm(env, "-n", namespace, "diff", "upgrade", "ms", chart, "--reuse-values",
                  "--set", "args={--kubelet-insecure-tls}")
    assert any(line.startswith("+ ") and line.endswith(" - --kubelet-insecure-tls")
               for line in diff.splitlines())  # helm-diff's format: "+ " and the line
    assert f"{namespace}, ms-metrics-server, Deployment (apps) has changed:" in diff
    pyhelm(env, "-n", namespace, "upgrade", "ms", chart, "--reuse-values",
           "--set", "args={--kubelet-insecure-tls}", "--wait", "--timeout", "120s")
    third = manifest(env, "ms", namespace, 3)
    assert "--kubelet-insecure-tls" in third and "replicas: 2" in third
    helm(env, "rollback", "ms", "1", "-n", namespace)
    assert history(env, "ms", namespace) == [(1, "superseded"), (2, "superseded"),
                                             (3, "superseded"), (4, "deployed")]
    values = json.loads(pyhelm(env, "-n", namespace, "get", "values", "ms", "-o", "json"))
    assert values == {"replicas": 2, "apiService": {"create": False}}
    pyhelm(env, "-n", namespace, "uninstall", "ms")


def test_lookup_reads_the_live_cluster(env: dict[str, str], namespace: str,
                                       tmp_path: Path) -> None:
    chart = tmp_path / "looker"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: looker\nversion: 0.1.0\n")
    (chart / "templates" / "_h.tpl").write_text('{{- define "seed" -}}seed{{- end -}}')
    (chart / "templates" / "cm.yaml").write_text(
        '{{- $seed := lookup "v1" "ConfigMap" .Release.Namespace (include "seed" .) }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-copy\n"
        "data:\n  color: {{ dig \"data\" \"color\" \"none\" $seed | quote }}\n"
        "  namespaces: {{ gt (len ((lookup \"v1\" \"Namespace\" \"\" \"\").items | default list))"
        " 1 | quote }}\n")
    subprocess.run([str(peers.kubectl_binary()), "create", "configmap", "seed", "-n", namespace,
                    "--from-literal=color=teal"], env=env, check=True, capture_output=True)
    pyhelm(env, "-n", namespace, "install", "lk", str(chart))
    copied = json.loads(subprocess.run(
        [str(peers.kubectl_binary()), "get", "configmap", "lk-copy", "-n", namespace,
         "-o", "json"], env=env, capture_output=True, text=True, check=True).stdout)
    assert copied["data"] == {"color": "teal", "namespaces": "true"}
    offline = pyhelm(env, "-n", namespace, "template", "lk", str(chart))
    assert 'color: "none"' in offline


def test_test_hooks_of_a_helm_chart_run_with_pyhelm_and_helm(env: dict[str, str],
                                                             namespace: str,
                                                             tmp_path: Path) -> None:
    chart = tmp_path / "tested"
    (chart / "templates" / "tests").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tested\nversion: 0.1.0\n")
    (chart / "templates" / "_h.tpl").write_text('{{- define "n" -}}{{ .Release.Name }}{{- end }}')
    (chart / "templates" / "cm.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "n" . }}\n')
    (chart / "templates" / "tests" / "check.yaml").write_text(
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ include "n" . }}-check\n'
        '  annotations:\n    "helm.sh/hook": test\n'
        '    "helm.sh/hook-delete-policy": before-hook-creation\n'
        'spec:\n  template:\n    spec:\n      restartPolicy: Never\n'
        '      containers: [{name: c, image: busybox}]\n')
    pyhelm(env, "-n", namespace, "install", "tt", str(chart))
    assert "Phase:          Succeeded" in pyhelm(env, "-n", namespace, "test", "tt",
                                                 "--timeout", "120s")
    assert "Phase:          Succeeded" in helm(env, "test", "tt", "-n", namespace,
                                               "--timeout", "120s")


def test_release_labels_are_shared_with_helm(env: dict[str, str], namespace: str,
                                             tmp_path: Path) -> None:
    """``-l`` labels land on the release record as Helm puts them: each tool selects the
    other's releases by them, and an upgrade merges (null unsets)."""
    chart = str(CORPUS / "prometheus-node-exporter")
    pyhelm(env, "-n", namespace, "install", "mine", chart, "-l", "team=blue,tier=infra")
    helm(env, "install", "theirs", chart, "-n", namespace, "--labels", "team=blue")

    def names(tool: str, selector: str) -> list[str]:
        run = helm if tool == "helm" else pyhelm
        return sorted(run(env, "list", "-n", namespace, "-l", selector, "-q").split())

    for tool in ("helm", "pyhelm"):
        assert names(tool, "team=blue") == ["mine", "theirs"]
        assert names(tool, "tier=infra") == ["mine"]
    pyhelm(env, "-n", namespace, "upgrade", "mine", chart, "-l", "tier=null,env=prod")
    for tool in ("helm", "pyhelm"):
        assert names(tool, "env=prod") == ["mine"]
        assert names(tool, "team=blue") == ["mine", "theirs"]
        assert names(tool, "tier=infra") == []
    refused = subprocess.run([PYHELM, "-n", namespace, "upgrade", "mine", chart, "-l",
                              "owner=me"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "system reserved label name" in refused.stderr


def _last_status(env: dict[str, str], namespace: str) -> str:
    history = json.loads(helm(env, "history", "shared", "-n", namespace, "-o", "json"))
    return str(history[-1]["status"])


@pytest.mark.parametrize("first", ["helm", "pyhelm"])
def test_interleaved_helm_and_pyhelm_upgrades_exclude_each_other(
        first: str, env: dict[str, str], namespace: str, tmp_path: Path) -> None:
    """While one tool's upgrade waits (its pod cannot be scheduled), the other tool's
    upgrade of the same release is refused; once the first ends, the second goes through."""
    helm(env, "create", str(tmp_path / "web"))
    chart = str(tmp_path / "web")
    helm(env, "install", "shared", chart, "-n", namespace)
    tools = {"helm": [str(peers.helm_binary()), "-n", namespace],
             "pyhelm": [PYHELM, "-n", namespace]}
    second = "pyhelm" if first == "helm" else "helm"
    stuck = subprocess.Popen([*tools[first], "upgrade", "shared", chart, "--wait", "--timeout",
                              "30s", "--set", "replicaCount=3,nodeSelector.nowhere=x"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the other tool tries once the first one's pending record is there (a loaded
        # machine may take seconds to start the first tool)
        deadline = time.monotonic() + 60
        while _last_status(env, namespace) != "pending-upgrade":
            assert time.monotonic() < deadline and stuck.poll() is None, \
                f"{first}'s upgrade never became pending"
            time.sleep(0.2)
        refused = subprocess.run([*tools[second], "upgrade", "shared", chart],
                                 env=env, capture_output=True, text=True, check=False)
        assert refused.returncode != 0, "no exclusion seen"
        assert "in progress" in refused.stderr, refused.stderr
    finally:
        stuck.communicate(timeout=120)
    assert stuck.returncode != 0  # its wait timed out
    done = subprocess.run([*tools[second], "upgrade", "shared", chart], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    history = json.loads(helm(env, "history", "shared", "-n", namespace, "-o", "json"))
    assert [h["status"] for h in history] == ["superseded", "failed", "deployed"]


def test_force_replace_puts_objects_whole(env: dict[str, str], namespace: str,
                                          tmp_path: Path) -> None:
    """``upgrade --force-replace`` (Helm 4) replaces each changed object whole: a label
    someone else added survives a server-side apply but not a replacement."""
    helm(env, "create", str(tmp_path / "web"))
    chart = str(tmp_path / "web")
    pyhelm(env, "-n", namespace, "install", "fr", chart)
    kubectl = str(peers.kubectl_binary())
    subprocess.run([kubectl, "label", "service", "fr-web", "-n", namespace, "extra=kept"],
                   env=env, check=True, capture_output=True)

    def labels() -> dict[str, str]:
        out = subprocess.run([kubectl, "get", "service", "fr-web", "-n", namespace, "-o",
                              "json"], env=env, capture_output=True, text=True, check=True)
        return dict(json.loads(out.stdout)["metadata"].get("labels") or {})

    pyhelm(env, "-n", namespace, "upgrade", "fr", chart)
    assert labels().get("extra") == "kept"
    both = subprocess.run([PYHELM, "-n", namespace, "upgrade", "fr", chart, "--force-replace",
                           "--force-conflicts"], env=env, capture_output=True, text=True)
    assert both.returncode == 1 and "[force-replace force-conflicts]" in both.stderr
    pyhelm(env, "-n", namespace, "upgrade", "fr", chart, "--force-replace")
    assert "extra" not in labels()
    assert labels()["app.kubernetes.io/managed-by"] == "Helm"
