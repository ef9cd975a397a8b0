"""Apply, ownership, SSA conflicts, prune and keep against the real API server."""

from __future__ import annotations

import pytest

from pyhelm.action.apply import (
    RELEASE_NAME_ANNOTATION,
    ApplySettings,
    ReleaseRef,
    apply_manifests,
    delete_manifests,
    prune_plan,
)
from pyhelm.engine.documents import parse_manifests
from pyhelm.engine.manifest import Manifest
from pyhelm.errors import KubeConflictError, KubeNotFoundError
from pyhelm.kube.client import connect
from pyhelm.kube.protocol import KubeClient

pytestmark = pytest.mark.cluster


def config_map(name: str, data: str = "one", keep: bool = False) -> Manifest:
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    if keep:
        text += "  annotations:\n    helm.sh/resource-policy: keep\n"
    text += f"data:\n  value: {data}\n"
    return parse_manifests(text, f"demo/templates/{name}.yaml")[0]


@pytest.fixture
def kube(kubeconfig: str, namespace: str) -> KubeClient:
    return connect(kubeconfig=kubeconfig, namespace=namespace)


def test_apply_marks_objects_for_helm_and_refuses_other_releases(
        kube: KubeClient, namespace: str) -> None:
    mine = ApplySettings(release=ReleaseRef("web", namespace))
    outcome = apply_manifests(kube, [config_map("settings")], mine)
    assert [m.name for m in outcome.created] == ["settings"]
    live = kube.get("v1", "ConfigMap", "settings", namespace)
    assert live["metadata"]["annotations"][RELEASE_NAME_ANNOTATION] == "web"
    assert live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    other = ApplySettings(release=ReleaseRef("api", namespace))
    with pytest.raises(KubeConflictError, match='belongs to release "web"'):
        apply_manifests(kube, [config_map("settings")], other)
    taken = ApplySettings(release=ReleaseRef("api", namespace), take_ownership=True)
    apply_manifests(kube, [config_map("settings")], taken)
    live = kube.get("v1", "ConfigMap", "settings", namespace)
    assert live["metadata"]["annotations"][RELEASE_NAME_ANNOTATION] == "api"


def test_field_manager_conflicts_need_force(kube: KubeClient, namespace: str) -> None:
    settings = ApplySettings(release=ReleaseRef("web", namespace))
    apply_manifests(kube, [config_map("shared")], settings)
    kube.apply({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "shared", "namespace": namespace},
                "data": {"value": "edited"}}, field_manager="someone-else", force=True)
    with pytest.raises(KubeConflictError, match="--force-conflicts"):
        apply_manifests(kube, [config_map("shared", "two")], settings)
    forced = ApplySettings(release=ReleaseRef("web", namespace), force_conflicts=True)
    apply_manifests(kube, [config_map("shared", "two")], forced)
    assert kube.get("v1", "ConfigMap", "shared", namespace)["data"]["value"] == "two"


def test_prune_deletes_dropped_objects_but_keeps_marked_ones(
        kube: KubeClient, namespace: str) -> None:
    settings = ApplySettings(release=ReleaseRef("web", namespace))
    first = [config_map("stays"), config_map("dropped"), config_map("kept", keep=True)]
    apply_manifests(kube, first, settings)
    second = [config_map("stays")]
    apply_manifests(kube, second, settings)
    deleted = delete_manifests(kube, prune_plan(first, second, namespace), namespace)
    assert deleted == ["ConfigMap/dropped"]
    kube.get("v1", "ConfigMap", "kept", namespace)
    kube.get("v1", "ConfigMap", "stays", namespace)
    with pytest.raises(KubeNotFoundError):
        kube.get("v1", "ConfigMap", "dropped", namespace)
