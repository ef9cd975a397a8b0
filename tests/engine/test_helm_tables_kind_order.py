"""Helm 4.3.1's own tables for kind order, hooks and manifest splitting, ported as data
(pkg/release/v1/util: manifest_sorter_test.go, kind_sorter_test.go, manifest_test.go).

Each case is named after the Go test (and subtest) it comes from; pyhelm's side is
``pyhelm.engine.manifest`` (kind order, hooks) and ``pyhelm.engine.documents`` (splitting
a template's output, and ``sort_manifests``: Helm's SortManifests).

Left out: nothing.
"""

from __future__ import annotations

import pytest

from pyhelm.engine.documents import sort_manifests, split_documents
from pyhelm.engine.manifest import (
    Hook,
    Manifest,
    install_order,
    list_hooks,
    uninstall_order,
)
from pyhelm.notices import UnknownHookSkipped

# TestSortManifests: template path -> what it renders, and what Helm makes of it
SORT_MANIFESTS = {
    "one": """apiVersion: v1
kind: Job
metadata:
  name: first
  labels:
    doesnot: matter
  annotations:
    "helm.sh/hook": pre-install
""",
    "two": """kind: ReplicaSet
apiVersion: v1beta1
metadata:
  name: second
  annotations:
    "helm.sh/hook": post-install
""",
    "three": """kind: ReplicaSet
apiVersion: v1beta1
metadata:
  name: third
  annotations:
    "helm.sh/hook": no-such-hook
""",
    "four": """kind: Pod
apiVersion: v1
metadata:
  name: fourth
  annotations:
    nothing: here""",
    "five": """kind: ReplicaSet
apiVersion: v1beta1
metadata:
  name: fifth
  annotations:
    "helm.sh/hook": post-delete, post-install
""",
    # a partial: never parsed ("invalid manifest" fails if it is)
    "six/_six": "invalid manifest",
    # an empty template: skipped
    "seven": "",
    "eight": """kind: ConfigMap
apiVersion: v1
metadata:
  name: eighth
data:
  name: value
---
apiVersion: v1
kind: Pod
metadata:
  name: example-test
  annotations:
    "helm.sh/hook": test
""",
}
# (path, name, kind, events) of every hook; "third" names an unknown event: dropped
SORTED_HOOKS = {
    "first": ("one", "Job", ("pre-install",)),
    "second": ("two", "ReplicaSet", ("post-install",)),
    "fifth": ("five", "ReplicaSet", ("post-delete", "post-install")),
    "example-test": ("eight", "Pod", ("test",)),
}
SORTED_RESOURCES = ["eighth", "fourth"]  # ConfigMap before Pod


def _sorted() -> tuple[list[Hook], list[Manifest]]:
    """Helm logs the object it leaves out ("third"); pyhelm tells it as a notice."""
    with pytest.warns(UnknownHookSkipped) as told:
        result = sort_manifests(SORT_MANIFESTS)
    assert [(str(n.message), n.message.attributes) for n in told] == [  # type: ignore[union-attr]
        ("skipping unknown hooks", {"hookTypes": "no-such-hook"})]
    return result


@pytest.mark.parametrize("name", list(SORTED_HOOKS), ids=lambda n: f"TestSortManifests/{n}")
def test_sort_manifests_hooks(name: str) -> None:
    hooks = {h.manifest.name: h for h in _sorted()[0]}
    path, kind, events = SORTED_HOOKS[name]
    hook = hooks[name]
    assert (hook.manifest.template, hook.manifest.kind, hook.events) == (path, kind, events)


def test_sort_manifests_counts_and_order() -> None:
    """TestSortManifests: 2 resources (partial, empty and unknown-hook objects left out)
    and 4 hooks; resources in kind order."""
    hooks, resources = _sorted()
    assert len(hooks) == 4
    assert [m.name for m in resources] == SORTED_RESOURCES


def _kinds(pairs: list[tuple[str, str]]) -> list[Manifest]:
    return [Manifest(template="t", content="", obj={}, api_version="v1", kind=kind,
                     name=name, namespace=None) for name, kind in pairs]


# TestKindSorter: one object of every kind Helm orders, and one it does not know
KIND_SORTER = [
    ("U", "IngressClass"), ("E", "SecretList"), ("i", "ClusterRole"),
    ("I", "ClusterRoleList"), ("j", "ClusterRoleBinding"), ("J", "ClusterRoleBindingList"),
    ("f", "ConfigMap"), ("u", "CronJob"), ("2", "CustomResourceDefinition"),
    ("n", "DaemonSet"), ("r", "Deployment"), ("!", "HonkyTonkSet"), ("v", "Ingress"),
    ("t", "Job"), ("c", "LimitRange"), ("a", "Namespace"), ("A", "NetworkPolicy"),
    ("g", "PersistentVolume"), ("h", "PersistentVolumeClaim"), ("o", "Pod"),
    ("3", "PodDisruptionBudget"), ("C", "PodSecurityPolicy"), ("q", "ReplicaSet"),
    ("p", "ReplicationController"), ("b", "ResourceQuota"), ("k", "Role"),
    ("K", "RoleList"), ("l", "RoleBinding"), ("L", "RoleBindingList"), ("e", "Secret"),
    ("m", "Service"), ("d", "ServiceAccount"), ("s", "StatefulSet"), ("1", "StorageClass"),
    ("w", "APIService"), ("x", "HorizontalPodAutoscaler"), ("F", "PriorityClass"),
    ("M", "MutatingWebhookConfiguration"), ("V", "ValidatingWebhookConfiguration"),
]
ORDERS = {"install": install_order, "uninstall": uninstall_order}


@pytest.mark.parametrize(("order", "expected"), [
    ("install", "FaAbcC3deEf1gh2iIjJkKlLmnopqrxstuUvwMV!"),
    ("uninstall", "VMwvUmutsxrqponLlKkJjIi2hg1fEed3CcbAaF!"),
], ids=lambda v: f"TestKindSorter/{v}" if v in ORDERS else "")
def test_kind_sorter(order: str, expected: str) -> None:
    manifests = _kinds(KIND_SORTER)
    original = list(manifests)
    assert "".join(m.name for m in ORDERS[order](manifests)) == expected
    assert manifests == original  # the input is left as it was


def test_kind_sorter_keep_original_order() -> None:
    """TestKindSorterKeepOriginalOrder/cm,clusterRole,clusterRoleBinding,Unknown,Unknown2"""
    manifests = _kinds([("a", "ClusterRole"), ("A", "ClusterRole"), ("0", "ConfigMap"),
                        ("1", "ConfigMap"), ("z", "ClusterRoleBinding"),
                        ("!", "ClusterRoleBinding"), ("u2", "Unknown"), ("u1", "Unknown"),
                        ("t3", "Unknown2")])
    assert "".join(m.name for m in install_order(manifests)) == "01aAz!u2u1t3"


def test_kind_sorter_namespace_against_unknown() -> None:
    """TestKindSorterNamespaceAgainstUnknown"""
    manifests = _kinds([("a", "Unknown"), ("b", "Namespace")])
    assert [m.name for m in install_order(manifests)] == ["b", "a"]


HOOK_KINDS = [("i", "ClusterRole"), ("j", "ClusterRoleBinding"), ("c", "LimitRange"),
              ("a", "Namespace")]


@pytest.mark.parametrize(("order", "expected"), [("install", "acij"), ("uninstall", "jica")],
                         ids=lambda v: f"TestKindSorterForHooks/{v}" if v in ORDERS else "")
def test_kind_sorter_for_hooks(order: str, expected: str) -> None:
    hooks = [Hook(m, ("pre-install",), 0, ()) for m in _kinds(HOOK_KINDS)]
    original = list(hooks)
    if order == "install":
        ordered = [h.manifest for h in list_hooks(hooks)]
    else:  # Helm sorts hooks by uninstall order with the same function as manifests
        ordered = uninstall_order(h.manifest for h in hooks)
    assert "".join(m.name for m in ordered) == expected
    assert hooks == original


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
TEST_HOOK = """apiVersion: v1
kind: Pod
metadata:
  name: finding-nemo,
  annotations:
    "helm.sh/hook": test
spec:
  containers:
  - name: nemo-test
    image: fake-image
    cmd: fake-command
"""


def _block(chomp: str, trailing: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test\ndata:\n  key: |{chomp}\n" \
           f"    hello{trailing}"


# TestSplitManifests: (name, input, the documents Helm keeps)
SPLIT_MANIFESTS = [
    ("single doc with leading separator and whitespace", "\n\n---\n" + TEST_HOOK,
     [TEST_HOOK]),
    ("empty input", "", []),
    ("whitespace only", "  \n\n  \n", []),
    ("whitespace-only doc after separator is skipped", "---\n" + CM.format("cm1") + "---\n  \n",
     [CM.format("cm1")]),
    ("single doc no separator", "\n" + CM.format("test"), [CM.format("test")]),
    ("two docs with proper separator", "\n" + CM.format("cm1") + "---\n" + CM.format("cm2"),
     [CM.format("cm1"), CM.format("cm2")]),
    *[(f"block scalar {name} ({chomp}) with {count} trailing newline{'s' * (count != 1)}",
       "\n" + _block(chomp[1:], "\n" * count), [_block(chomp[1:], "\n" * count)])
      for name, chomp in (("clip", "|"), ("strip", "|-"), ("keep", "|+"))
      for count in (0, 1, 2)],
    ("multi-doc block scalar clip (|) before separator",
     "\n" + _block("", "\n") + "---\n" + CM.format("test2"),
     [_block("", "\n"), CM.format("test2")]),
    ("multi-doc block scalar keep (|+) with 2 trailing newlines before separator",
     "\n" + _block("+", "\n\n\n") + "---\n" + CM.format("test2"),
     [_block("+", "\n\n\n"), CM.format("test2")]),
    ("leading glued separator (---apiVersion)", "\n---" + CM.format("cm1"), [CM.format("cm1")]),
    ("mid-content glued separator (---apiVersion)",
     "\n" + CM.format("cm1") + "---" + CM.format("cm2"), [CM.format("cm1"), CM.format("cm2")]),
    ("multiple glued separators", "\n" + "".join("---" + CM.format(f"cm{i}") for i in (1, 2, 3)),
     [CM.format(f"cm{i}") for i in (1, 2, 3)]),
    ("mixed glued and proper separators",
     "\n" + CM.format("cm1") + "---\n" + CM.format("cm2") + "---" + CM.format("cm3"),
     [CM.format(f"cm{i}") for i in (1, 2, 3)]),
]


@pytest.mark.parametrize(("name", "text", "expected"), SPLIT_MANIFESTS,
                         ids=[f"TestSplitManifests/{c[0]}" for c in SPLIT_MANIFESTS])
def test_split_manifests(name: str, text: str, expected: list[str]) -> None:
    assert [document.lstrip() for _, document in split_documents(text)] == expected
