"""Proof that the local control plane is a real cluster: objects roll out, Jobs
complete, Services get IPs, CRDs become Established and invalid objects are refused."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.cluster


def _call(api: Any, method: str, path: str, body: Any = None,
          content_type: str = "application/json", query: list[tuple[str, str]] | None = None
          ) -> tuple[int, Any]:
    """A raw REST call through the official client: (HTTP status, decoded JSON body)."""
    method, url, headers, _, _ = api.param_serialize(
        method, path, query_params=query or [],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        auth_settings=["BearerToken"])
    if body is not None and content_type != "application/json":
        body = json.dumps(body)  # JSON is YAML; the client sends str bodies as they are
    response = api.call_api(method, url, header_params=headers, body=body)
    response.read()
    return response.status, json.loads(response.data)


def _apply(api: Any, path: str, obj: dict[str, Any]) -> dict[str, Any]:
    status, body = _call(api, "PATCH", path, obj, "application/apply-patch+yaml",
                         [("fieldManager", "pyhelm-test"), ("force", "true")])
    assert status in (200, 201), body
    return body


def _eventually(what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def test_server_reports_the_pinned_version(kube_api: Any) -> None:
    from pyhelm.testing.cluster_build import kubernetes_version

    status, body = _call(kube_api, "GET", "/version")
    assert status == 200
    assert body["gitVersion"] == kubernetes_version()


def test_deployment_rolls_out_on_fake_nodes(kube_api: Any, namespace: str) -> None:
    labels = {"app": "web"}
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web"
    _apply(kube_api, path, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})

    def ready() -> bool:
        status = _call(kube_api, "GET", path)[1].get("status", {})
        return status.get("readyReplicas") == 2 and status.get("availableReplicas") == 2

    _eventually("2 ready replicas", ready)


def test_job_completes(kube_api: Any, namespace: str) -> None:
    path = f"/apis/batch/v1/namespaces/{namespace}/jobs/once"
    _apply(kube_api, path, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "once", "image": "busybox:1.36", "command": ["true"]}]}}}})

    def complete() -> bool:
        conditions = _call(kube_api, "GET", path)[1].get("status", {}).get("conditions", [])
        return any(c["type"] == "Complete" and c["status"] == "True" for c in conditions)

    _eventually("the Job to complete", complete)


def test_service_gets_a_cluster_ip(kube_api: Any, namespace: str) -> None:
    body = _apply(kube_api, f"/api/v1/namespaces/{namespace}/services/web", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    from pyhelm.testing.cluster import SERVICE_CIDR

    assert ipaddress.ip_address(body["spec"]["clusterIP"]) in ipaddress.ip_network(SERVICE_CIDR)


def test_crd_becomes_established_and_accepts_custom_resources(
        kube_api: Any, namespace: str) -> None:
    group = f"{namespace}.example.com"
    crd_name = f"widgets.{group}"
    _apply(kube_api, f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd_name}", {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}})
    try:
        def established() -> bool:
            status, crd = _call(kube_api, "GET",
                                f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd_name}")
            return status == 200 and any(
                c["type"] == "Established" and c["status"] == "True"
                for c in (crd.get("status") or {}).get("conditions") or [])

        _eventually("the CRD to be Established", established)
        widget = _eventually("the custom resource to be accepted", lambda: (
            lambda r: r[1] if r[0] in (200, 201) else None)(_call(
                kube_api, "PATCH", f"/apis/{group}/v1/namespaces/{namespace}/widgets/w1",
                {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1"},
                 "spec": {"size": 3}}, "application/apply-patch+yaml",
                [("fieldManager", "pyhelm-test")])))
        assert widget["spec"]["size"] == 3
    finally:
        _call(kube_api, "DELETE",
              f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd_name}")


def test_secret_and_configmap_round_trip(kube_api: Any, namespace: str) -> None:
    _apply(kube_api, f"/api/v1/namespaces/{namespace}/secrets/s", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "stringData": {"password": "hunter2"}})
    _apply(kube_api, f"/api/v1/namespaces/{namespace}/configmaps/c", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
        "data": {"key": "value"}})
    secret = _call(kube_api, "GET", f"/api/v1/namespaces/{namespace}/secrets/s")[1]
    assert secret["data"]["password"] == "aHVudGVyMg=="
    config_map = _call(kube_api, "GET", f"/api/v1/namespaces/{namespace}/configmaps/c")[1]
    assert config_map["data"] == {"key": "value"}


def test_invalid_object_is_rejected_with_its_validation_message(
        kube_api: Any, namespace: str) -> None:
    status, body = _call(kube_api, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
        "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    assert status == 422
    assert "spec.replicas" in body["message"]
    assert "greater than or equal to 0" in body["message"]
