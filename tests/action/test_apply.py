"""Apply planning: ownership marks and checks, kind groups, pruning, keep policy."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from pyhelm.action.apply import (
    BULK_LOOKUP,
    MANAGED_BY_LABEL,
    RELEASE_NAME_ANNOTATION,
    RELEASE_NAMESPACE_ANNOTATION,
    ApplyOutcome,
    ApplySettings,
    ReleaseRef,
    apply_manifests,
    delete_manifests,
    kind_groups,
    object_key,
    ownership_problem,
    prune_plan,
    stamp_ownership,
)
from pyhelm.engine.documents import parse_manifests
from pyhelm.engine.manifest import Manifest
from pyhelm.errors import KubeConflictError

if TYPE_CHECKING:
    from tests.action.conftest import DictKube

RELEASE = ReleaseRef("web", "prod")


def manifest(kind: str, name: str, annotations: dict[str, str] | None = None,
             api_version: str = "v1") -> Manifest:
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n"
    if annotations:
        text += "  annotations:\n" + "".join(f"    {k}: {v}\n" for k, v in annotations.items())
    return parse_manifests(text, f"demo/templates/{name}.yaml")[0]


def test_stamp_adds_helm_compatible_marks_without_touching_the_input() -> None:
    source = {"kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}}}
    stamped = stamp_ownership(source, RELEASE)
    assert stamped["metadata"]["annotations"] == {
        RELEASE_NAME_ANNOTATION: "web", RELEASE_NAMESPACE_ANNOTATION: "prod"}
    assert stamped["metadata"]["labels"] == {"x": "1", MANAGED_BY_LABEL: "Helm"}
    assert "annotations" not in source["metadata"]


def test_ownership_problem_names_the_other_owner() -> None:
    mine = stamp_ownership({"metadata": {"name": "a"}}, RELEASE)
    theirs = stamp_ownership({"metadata": {"name": "a"}}, ReleaseRef("api", "prod"))
    assert ownership_problem(mine, RELEASE) is None
    assert ownership_problem(theirs, RELEASE) == 'it belongs to release "api" in namespace "prod"'
    assert "not managed" in (ownership_problem({"metadata": {"name": "a"}}, RELEASE) or "")


def test_kind_groups_follow_helm_install_order() -> None:
    groups = kind_groups([manifest("Deployment", "d"), manifest("Service", "s1"),
                          manifest("Namespace", "ns1"), manifest("Service", "s2")])
    assert [[m.name for m in g] for g in groups] == [["ns1"], ["s1", "s2"], ["d"]]


def test_prune_plan_drops_what_is_gone_keeps_marked_objects_reverse_order() -> None:
    previous = [manifest("Service", "svc"), manifest("Deployment", "old"),
                manifest("ConfigMap", "cfg"),
                manifest("Secret", "kept", {"helm.sh/resource-policy": "keep"})]
    current = [manifest("Service", "svc")]
    assert [m.ref for m in prune_plan(previous, current, "prod")] == [
        "Deployment/old", "ConfigMap/cfg"]


def test_prune_plan_treats_a_version_bump_as_the_same_object() -> None:
    previous = [manifest("HorizontalPodAutoscaler", "h", api_version="autoscaling/v1")]
    current = [manifest("HorizontalPodAutoscaler", "h", api_version="autoscaling/v2")]
    assert prune_plan(previous, current, "prod") == []


def test_apply_in_kind_order_records_created_objects_and_namespaces(dict_kube: DictKube) -> None:
    kube = dict_kube
    outcome = apply_manifests(kube, [manifest("Deployment", "d"), manifest("ConfigMap", "c")],
                              ApplySettings(release=RELEASE, max_workers=2))
    assert kube.calls == ["apply ConfigMap/c", "apply Deployment/d"]
    assert sorted(m.name for m in outcome.created) == ["c", "d"]
    labels = kube.objects[("ConfigMap", "prod", "c")]["metadata"]["labels"]
    assert labels[MANAGED_BY_LABEL] == "Helm"
    again = apply_manifests(kube, [manifest("ConfigMap", "c")], ApplySettings(release=RELEASE))
    assert again.created == []


def test_apply_refuses_foreign_objects_unless_taking_ownership(dict_kube: DictKube) -> None:
    kube = dict_kube
    kube.objects[("ConfigMap", "prod", "c")] = {"kind": "ConfigMap", "metadata": {"name": "c"}}
    outcome = ApplyOutcome([], [])
    with pytest.raises(KubeConflictError, match=r"not managed by any release.*--take-ownership"):
        apply_manifests(kube, [manifest("ConfigMap", "c")], ApplySettings(release=RELEASE),
                        outcome)
    assert outcome.applied == []
    apply_manifests(kube, [manifest("ConfigMap", "c")],
                    ApplySettings(release=RELEASE, take_ownership=True))
    owned = kube.objects[("ConfigMap", "prod", "c")]
    assert owned["metadata"]["annotations"][RELEASE_NAME_ANNOTATION] == "web"


def test_many_objects_of_a_kind_are_looked_up_with_one_list(dict_kube: DictKube) -> None:
    kube = dict_kube
    many = [manifest("ConfigMap", f"c{i:02d}") for i in range(BULK_LOOKUP)]
    first = apply_manifests(kube, many, ApplySettings(release=RELEASE))
    assert kube.calls.count("list ConfigMap") == 1
    assert len(first.created) == BULK_LOOKUP
    again = apply_manifests(kube, many, ApplySettings(release=RELEASE))
    assert again.created == []  # the listed metadata said they exist
    kube.objects[("ConfigMap", "prod", "c07")]["metadata"]["annotations"][
        RELEASE_NAME_ANNOTATION] = "other"
    with pytest.raises(KubeConflictError, match=r"c07.*belongs to release \"other\""):
        apply_manifests(kube, many, ApplySettings(release=RELEASE))


def test_the_deployed_revisions_objects_are_applied_unread_and_new_ones_checked(
        dict_kube: DictKube) -> None:
    kube = dict_kube
    many = [manifest("ConfigMap", f"c{i:02d}") for i in range(BULK_LOOKUP)]
    apply_manifests(kube, many, ApplySettings(release=RELEASE))
    owned = frozenset(object_key(m, RELEASE.namespace) for m in many)
    kube.objects[("ConfigMap", "prod", "c03")]["metadata"]["annotations"][
        RELEASE_NAME_ANNOTATION] = "other"  # adopted since: Helm's upgrade takes it back
    kube.objects[("ConfigMap", "prod", "theirs")] = {"kind": "ConfigMap",
                                                     "metadata": {"name": "theirs"}}
    read = kube.get
    kube.get = lambda *args: kube.calls.append(f"get {args[2]}") or read(*args)  # type: ignore[method-assign]
    kube.calls.clear()
    again = apply_manifests(kube, many, ApplySettings(release=RELEASE, owned=owned))
    assert again.created == []
    assert not [c for c in kube.calls if not c.startswith("apply")], kube.calls
    assert kube.objects[("ConfigMap", "prod", "c03")]["metadata"]["annotations"][
        RELEASE_NAME_ANNOTATION] == "web"
    with pytest.raises(KubeConflictError, match=r"theirs.*--take-ownership"):
        apply_manifests(kube, [*many, manifest("ConfigMap", "theirs")],
                        ApplySettings(release=RELEASE, owned=owned))
    assert kube.calls.count("get theirs") == 1


def test_a_failed_object_lets_its_group_finish_then_fails(dict_kube: DictKube) -> None:
    kube = dict_kube
    kube.objects[("ConfigMap", "prod", "c1")] = {"kind": "ConfigMap", "metadata": {"name": "c1"}}
    outcome = ApplyOutcome([], [])
    group = [manifest("ConfigMap", f"c{i}") for i in range(4)] + [manifest("Service", "s")]
    with pytest.raises(KubeConflictError, match="c1"):
        apply_manifests(kube, group, ApplySettings(release=RELEASE, max_workers=2), outcome)
    assert [m.name for m in outcome.created] == ["c0", "c2", "c3"]  # in the group's order
    assert "apply Service/s" not in kube.calls  # the next group never starts


def test_an_interrupted_group_starts_nothing_more_and_records_what_it_applied(
        dict_kube: DictKube) -> None:
    kube = dict_kube
    apply_one = kube.apply

    def apply_then_interrupt(obj: dict[str, Any], **options: Any) -> dict[str, Any]:
        result = apply_one(obj, **options)
        if len(kube.calls) == 1:  # Ctrl-C while the first object is under way
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        return result

    kube.apply = apply_then_interrupt  # type: ignore[method-assign]
    outcome = ApplyOutcome([], [])
    with pytest.raises(KeyboardInterrupt):
        apply_manifests(kube, [manifest("ConfigMap", f"c{i}") for i in range(5)],
                        ApplySettings(release=RELEASE, max_workers=1), outcome)
    assert not [t for t in threading.enumerate() if t.name.startswith("pyhelm-worker")]
    assert kube.calls == ["apply ConfigMap/c0"]
    assert [m.name for m in outcome.created] == ["c0"]


def test_dry_run_writes_nothing(dict_kube: DictKube) -> None:
    kube = dict_kube
    apply_manifests(kube, [manifest("ConfigMap", "c")],
                    ApplySettings(release=RELEASE, dry_run=True))
    assert kube.objects == {}


def test_delete_honours_keep_and_skips_unknown_kinds(dict_kube: DictKube) -> None:
    kube = dict_kube
    apply_manifests(kube, [manifest("ConfigMap", "c"), manifest("Secret", "s")],
                    ApplySettings(release=RELEASE))
    deleted = delete_manifests(kube, [
        manifest("Secret", "s", {"helm.sh/resource-policy": "keep"}),
        manifest("ConfigMap", "c"), manifest("Gone", "g"), manifest("ConfigMap", "absent")],
        "prod")
    assert deleted == ["ConfigMap/c"]
    assert list(kube.objects) == [("Secret", "prod", "s")]
