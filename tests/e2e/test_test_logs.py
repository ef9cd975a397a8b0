"""``test --logs`` beside ``helm test --logs`` on the same release: the test pods' logs come
from the real API server (``pods/NAME/log``), which the local cluster proxies to kwok's
kubelet server (ClusterLogs serving ``CONTAINER_LOG``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
    path = chart(tmp_path / "logged", {"alpha": POD.format(name="alpha", weight=5),
                                       "zeta": POD.format(name="zeta", weight=-1)})
    assert run(env, pyhelm, "install", "lg", str(path), "-n", namespace).returncode == 0
    theirs = run(env, helm, "test", "lg", "-n", namespace, "--logs", "--timeout", "120s")
    mine = run(env, pyhelm, "test", "lg", "-n", namespace, "--logs", "--timeout", "120s")
    assert theirs.returncode == 0, theirs.stderr
    assert mine.returncode == 0, mine.stderr
    assert _TIMES.sub(r"\1: T", mine.stdout) == _TIMES.sub(r"\1: T", theirs.stdout)
    logs = mine.stdout.split("\n\nPOD LOGS: ", 1)[1]
    expected = "".join(line.split(" ", 3)[3] + "\n" for line in CONTAINER_LOG.splitlines())
    assert logs == f"lg-zeta\n{expected}\nPOD LOGS: lg-alpha\n{expected}\n"


def test_a_test_hook_without_a_pod_of_its_name_fails_as_helm(tmp_path: Path,
                                                             kubeconfig: str,
                                                             namespace: str) -> None:
    """A test Job: its pod has another name, so Helm's --logs fails; so does pyhelm's,
    in one line, after the status."""
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
    assert theirs.returncode == mine.returncode == 1
    assert _TIMES.sub(r"\1: T", mine.stdout) == _TIMES.sub(r"\1: T", theirs.stdout)
    assert mine.stderr.strip() == theirs.stderr.strip() == (
        'Error: unable to get pod logs for jb-job: pods "jb-job" not found')
