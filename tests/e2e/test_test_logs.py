"""``test --logs`` beside ``helm test --logs`` on the same release: the test pods' logs come
from the real API server (``pods/NAME/log``), which the local cluster proxies to kwok's
kubelet server (ClusterLogs serving ``CONTAINER_LOG``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import peers
from pyhelm.testing.cluster import CONTAINER_LOG

pytestmark = [pytest.mark.cluster, pytest.mark.helm]

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {{{{ .Release.Name }}}}-{name}
  annotations:
    "helm.sh/hook": test
    "helm.sh/hook-weight": "{weight}"
    "helm.sh/hook-delete-policy": before-hook-creation
spec:
  restartPolicy: Never
  containers:
    - name: probe
      image: busybox
"""
TWO_CONTAINERS = POD + """    - name: second
      image: busybox
  initContainers:
    - name: setup
      image: busybox
"""
_TIMES = re.compile(r"(LAST DEPLOYED|Last Started|Last Completed): *[^\n]+")


def run(env: dict[str, str], tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def chart(root: Path, tests: dict[str, str]) -> Path:
    (root / "templates" / "tests").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: logged\nversion: 0.1.0\n")
    (root / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n")
    for name, text in tests.items():
        (root / "templates" / "tests" / f"{name}.yaml").write_text(text)
    return root


def test_logs_of_test_pods_as_helm_prints_them(tmp_path: Path, kubeconfig: str,
                                               namespace: str) -> None:
    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)
    helm, pyhelm = str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))
    # weights put "zeta" first: Helm's order is weight, then name
    path = chart(tmp_path / "logged", {
        "alpha": TWO_CONTAINERS.format(name="alpha", weight=5),
        "zeta": POD.format(name="zeta", weight=-1)})
    assert run(env, pyhelm, "install", "lg", str(path), "-n", namespace).returncode == 0
    theirs = run(env, helm, "test", "lg", "-n", namespace, "--logs", "--timeout", "120s")
    mine = run(env, pyhelm, "test", "lg", "-n", namespace, "--logs", "--timeout", "120s")
    assert theirs.returncode == 0, theirs.stderr
    assert mine.returncode == 0, mine.stderr
    assert _TIMES.sub(r"\1: T", mine.stdout) == _TIMES.sub(r"\1: T", theirs.stdout)
    logs = mine.stdout.split("\n\nPOD LOGS: ", 1)[1]
    expected = "".join(line.split(" ", 3)[3] + "\n" for line in CONTAINER_LOG.splitlines())
    # Helm 4.3: a block per container, init containers first
    assert logs == "\nPOD LOGS: ".join(
        f"{pod} ({container})\n{expected}" for pod, container in (
            ("lg-zeta", "probe"), ("lg-alpha", "setup"), ("lg-alpha", "probe"),
            ("lg-alpha", "second"))) + "\n"


def test_test_jobs_are_skipped_and_pods_are_deleted_after_their_logs_as_helm(
        tmp_path: Path, kubeconfig: str, namespace: str, kube_api: Any) -> None:
    """Helm 4.3 reads logs of test Pods only (a test Job is skipped); a test Pod whose
    delete policy removes it on success is read first, then deleted."""
    from kubernetes import client

    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)
    helm, pyhelm = str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))
    job = ("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-job\n"
           "  annotations:\n    \"helm.sh/hook\": test\n"
           "    \"helm.sh/hook-delete-policy\": before-hook-creation\n"
           "spec:\n  template:\n    spec:\n      restartPolicy: Never\n"
           "      containers: [{name: c, image: busybox}]\n")
    path = chart(tmp_path / "jobbed", {"job": job})
    assert run(env, pyhelm, "install", "jb", str(path), "-n", namespace).returncode == 0
    theirs = run(env, helm, "test", "jb", "-n", namespace, "--logs", "--timeout", "120s")
    mine = run(env, pyhelm, "test", "jb", "-n", namespace, "--logs", "--timeout", "120s")
    assert theirs.returncode == mine.returncode == 0, (theirs.stderr, mine.stderr)
    assert _TIMES.sub(r"\1: T", mine.stdout) == _TIMES.sub(r"\1: T", theirs.stdout)
    assert "POD LOGS" not in mine.stdout

    gone = POD.format(name="gone", weight=0).replace("before-hook-creation", "hook-succeeded")
    path = chart(tmp_path / "deleted", {"gone": gone})
    assert run(env, pyhelm, "install", "dl", str(path), "-n", namespace).returncode == 0
    core = client.CoreV1Api(kube_api)
    for tool in (helm, pyhelm):
        done = run(env, tool, "test", "dl", "-n", namespace, "--logs", "--timeout", "120s")
        assert done.returncode == 0, done.stderr
        assert "POD LOGS: dl-gone (probe)\nkwok: fake container started" in done.stdout
        assert "dl-gone" not in [p.metadata.name
                                 for p in core.list_namespaced_pod(namespace).items]


def test_filter_picks_the_tests_as_helm(tmp_path: Path, kubeconfig: str,
                                        namespace: str) -> None:
    """`--filter name=X` runs (and shows the logs of) X only; `!name=X` all but X; the
    other tests keep their last run in the record."""
    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)
    helm, pyhelm = str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))
    path = chart(tmp_path / "filtered", {"alpha": POD.format(name="alpha", weight=1),
                                         "zeta": POD.format(name="zeta", weight=2)})
    assert run(env, pyhelm, "install", "fl", str(path), "-n", namespace).returncode == 0
    for flags in (["--filter", "name=fl-zeta"], ["--filter", "!name=fl-zeta"],
                  ["--filter", "name=fl-alpha,name=fl-zeta"]):
        theirs = run(env, helm, "test", "fl", "-n", namespace, "--logs", *flags)
        mine = run(env, pyhelm, "test", "fl", "-n", namespace, "--logs", *flags)
        assert theirs.returncode == mine.returncode == 0, (theirs.stderr, mine.stderr)
        assert _TIMES.sub(r"\1: T", mine.stdout) == _TIMES.sub(r"\1: T", theirs.stdout)
    only = run(env, pyhelm, "test", "fl", "-n", namespace, "--logs", "--filter",
               "name=fl-zeta").stdout
    assert "POD LOGS: fl-zeta" in only and "POD LOGS: fl-alpha" not in only
