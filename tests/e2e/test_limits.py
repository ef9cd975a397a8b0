"""Refused deletes as a namespace-limited ServiceAccount, and the record size cap, on
the real cluster."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

import pyhelm
from pyhelm.errors import KubeNotFoundError, ReleaseError
from pyhelm.kube.client import connect
from pyhelm.release.status import Status

pytestmark = pytest.mark.cluster

TEMPLATES = """apiVersion: v1
kind: Service
metadata:
  name: {{ Release.Name }}
spec:
  ports: [{port: 80}]
  selector: {app: x}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ Release.Name }}
data:
  size: "{{ Values.blob | length }}"
"""


def _chart(root: Path) -> str:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: limited\nversion: 1.0.0\n")
    (root / "values.yaml").write_text("blob: ''\n")
    (root / "templates" / "all.yaml").write_text(TEMPLATES)
    return str(root)


def _service_account_kubeconfig(kube_api: Any, kubeconfig: str, namespace: str,
                                tmp_path: Path, service_verbs: list[str]) -> tuple[str, Any]:
    """A ServiceAccount that may manage records and objects in one namespace, but do only
    ``service_verbs`` to Services; a kubeconfig with its token."""
    from kubernetes import client

    core, rbac = client.CoreV1Api(kube_api), client.RbacAuthorizationV1Api(kube_api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "deployer"}})
    everything = ["get", "list", "watch", "create", "update", "patch", "delete"]
    role = {"metadata": {"name": "deployer"}, "rules": [
        {"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": everything},
        {"apiGroups": [""], "resources": ["services"], "verbs": service_verbs}]}
    rbac.create_namespaced_role(namespace, role)
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": "deployer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "deployer"},
        "subjects": [{"kind": "ServiceAccount", "name": "deployer",
                      "namespace": namespace}]})
    token = core.create_namespaced_service_account_token(
        "deployer", namespace, {"spec": {"expirationSeconds": 3600}}).status.token
    admin = json.loads(Path(kubeconfig).read_text()) if Path(kubeconfig).read_text(
        ).lstrip().startswith("{") else _yaml(kubeconfig)
    cluster = admin["clusters"][0]
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "sa",
              "clusters": [cluster],
              "users": [{"name": "deployer", "user": {"token": token}}],
              "contexts": [{"name": "sa", "context": {"cluster": cluster["name"],
                                                      "user": "deployer",
                                                      "namespace": namespace}}]}
    path = tmp_path / "sa-kubeconfig"
    path.write_text(json.dumps(config))
    return str(path), role


def _yaml(path: str) -> Any:
    from pyhelm import yamlio

    return yamlio.load(Path(path).read_text())


def test_uninstall_goes_past_a_refused_delete_and_the_next_one_finishes(
        kube_api: Any, kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    chart = _chart(tmp_path / "chart")
    admin = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    admin.install("svc", chart)
    sa_config, role = _service_account_kubeconfig(
        kube_api, kubeconfig, namespace, tmp_path, ["get", "list", "create", "patch"])
    limited = pyhelm.Client(kubeconfig=sa_config, namespace=namespace)
    with pytest.raises(ReleaseError) as info:
        limited.uninstall("svc")
    message = str(info.value)
    assert "\n" not in message
    assert 'Service/svc: services "svc" is forbidden' in message, message
    assert "run uninstall again" in message
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    with pytest.raises(KubeNotFoundError):  # went on past the refused Service
        kube.get("v1", "ConfigMap", "svc", namespace)
    kube.get("v1", "Service", "svc", namespace)
    latest = admin.history("svc")[-1]
    assert latest.info.status == Status.FAILED
    assert "Uninstallation incomplete" in latest.info.description
    # once allowed, the next uninstall finishes the job
    from kubernetes import client

    role["rules"][1]["verbs"].append("delete")
    client.RbacAuthorizationV1Api(kube_api).replace_namespaced_role("deployer", namespace,
                                                                    role)
    limited.uninstall("svc")
    with pytest.raises(KubeNotFoundError):
        kube.get("v1", "Service", "svc", namespace)
    assert not [s for s in kube.list("v1", "Secret", namespace)
                if s["metadata"]["name"].startswith("sh.helm.release.v1.svc.")]


def test_atomic_install_cleanup_reports_the_cause_and_what_it_could_not_delete(
        kube_api: Any, kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    root = Path(_chart(tmp_path / "chart"))
    (root / "templates" / "stuck.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: stuck}\n"
        "spec: {nodeSelector: {nowhere: 'true'}, containers: [{name: m, image: x}]}\n")
    sa_config, role = _service_account_kubeconfig(
        kube_api, kubeconfig, namespace, tmp_path, ["get", "list", "watch", "create", "patch"])
    role["rules"].append({"apiGroups": [""], "resources": ["pods"],
                          "verbs": ["get", "list", "watch", "create", "patch", "delete"]})
    from kubernetes import client

    client.RbacAuthorizationV1Api(kube_api).replace_namespaced_role("deployer", namespace,
                                                                    role)
    limited = pyhelm.Client(kubeconfig=sa_config, namespace=namespace)
    with pytest.raises(ReleaseError) as info:
        limited.install("at", str(root), atomic=True, timeout="3s")
    message = str(info.value)
    assert "timed out" in message, message  # the cause first
    assert "--atomic cleanup incomplete" in message and 'Service/at: services "at" is ' \
        "forbidden" in message, message
    admin = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    assert admin.history("at")[-1].info.status == Status.FAILED
    admin.uninstall("at")


def test_a_record_over_the_size_cap_is_refused_before_anything_is_written(
        kubeconfig: str, namespace: str, tmp_path: Path) -> None:
    chart = _chart(tmp_path / "chart")
    blob = base64.b64encode(os.urandom(3_200_000)).decode()  # incompressible, > 3 MiB
    values = tmp_path / "big.yaml"
    values.write_text(f"blob: {blob}\n")
    fresh = f"{namespace[:55]}-new"
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=fresh)
    with pytest.raises(ReleaseError, match=r"record would be \d+\.\d MiB .*over the 3 MiB"):
        client.install("big", chart, values_files=(str(values),), create_namespace=True)
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    with pytest.raises(KubeNotFoundError):  # not even the namespace was created
        kube.get("v1", "Namespace", fresh)
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("big", chart)
    with pytest.raises(ReleaseError, match="over the 3 MiB limit"):
        client.upgrade("big", chart, values_files=(str(values),))
    assert [r.info.status for r in client.history("big")] == [Status.DEPLOYED]
