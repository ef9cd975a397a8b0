"""Failing hooks, timeouts, --atomic, and the in-progress lock, on the real cluster."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import pyhelm
from pyhelm.errors import KubeNotFoundError, PyhelmError, ReleaseInProgressError
from pyhelm.kube.client import connect
from pyhelm.release.status import Status
from pyhelm.storage.store import ReleaseStore, driver_for

pytestmark = pytest.mark.cluster

DEPLOYMENT = """{% for name in ([Release.Name, Release.Name ~ "-stuck"] if Values.stuck
                  else [Release.Name]) %}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ name }}
spec:
  replicas: {{ Values.replicas }}
  selector:
    matchLabels: {app: "{{ name }}"}
  template:
    metadata:
      labels: {app: "{{ name }}"}
    spec:
{% if name.endswith("-stuck") %}
      nodeSelector: {nowhere: "true"}
{% endif %}
      containers:
        - name: main
          image: nginx
{% endfor %}
"""

FAILING_HOOK = """apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
spec:
  activeDeadlineSeconds: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      nodeSelector: {nowhere: "true"}
      containers:
        - name: main
          image: busybox
"""


def make_chart(root: Path, *, hook: bool = False) -> str:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 1.0.0\n")
    (root / "values.yaml").write_text("replicas: 1\nstuck: false\n")
    (root / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    if hook:
        (root / "templates" / "hook.yaml").write_text(FAILING_HOOK)
    return str(root)


def test_a_failing_hook_fails_the_install_with_its_name(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    with pytest.raises(PyhelmError, match='hook "migrate"'):
        client.install("hooked", make_chart(tmp_path, hook=True), timeout="60s")
    [record] = client.history("hooked")
    assert record.info.status == Status.FAILED
    assert "migrate" in record.info.description


def test_timeout_marks_failed_and_atomic_restores_the_previous_revision(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    chart = make_chart(tmp_path)
    client.install("web", chart, wait=True, timeout="60s")
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    before = kube.get("apps/v1", "Deployment", "web", namespace)["spec"]["template"]
    with pytest.raises(PyhelmError, match="timed out"):
        client.upgrade("web", chart, values={"stuck": True}, wait=True, timeout="3s")
    assert client.history("web")[-1].info.status == Status.FAILED
    with pytest.raises(PyhelmError, match="rolled back to revision 1"):
        client.upgrade("web", chart, values={"stuck": True}, atomic=True, timeout="3s")
    after = kube.get("apps/v1", "Deployment", "web", namespace)["spec"]["template"]
    assert after == before
    with pytest.raises(KubeNotFoundError):
        kube.get("apps/v1", "Deployment", "web-stuck", namespace)
    statuses = [r.info.status for r in client.history("web")]
    assert statuses[-1] == Status.DEPLOYED


def test_an_upgrade_while_another_holds_the_release_fails_at_once(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    chart = make_chart(tmp_path)
    first = client.install("busy", chart)
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    other = ReleaseStore(driver_for("secret", kube, namespace), owner="someone-else")
    pending = dataclasses.replace(
        first, version=2, info=dataclasses.replace(first.info, status=Status.PENDING_UPGRADE))
    other.create(pending)
    with pytest.raises(ReleaseInProgressError, match="in progress"):
        client.upgrade("busy", chart, values={"replicas": 2})
