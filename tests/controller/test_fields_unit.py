"""The HelmRelease fields of issue 24's second slice without a cluster: parsing of
dependsOn, driftDetection, serviceAccountName, kubeConfig, commonMetadata and
postRenderers; target selectors; the drift comparison; the post-renderer; the checks on a
kubeconfig from a Secret; the drift watch's filtering of status-only changes."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from pyhelm.controller import drift
from pyhelm.controller.access import check_kubeconfig, service_account_user
from pyhelm.controller.drift_watch import DriftWatcher, fingerprint, owner_key
from pyhelm.controller.postrender import ControllerPostRenderer, kustomization
from pyhelm.controller.selector import parse_label_selector, selects
from pyhelm.controller.spec import IgnoreRule, ObjectSelector, parse_helmrelease
from pyhelm.errors import HelmReleaseSpecError
from pyhelm.kube.protocol import WatchEvent


def _hr(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "web", "namespace": "apps", "generation": 1,
                         "annotations": {"reconcile.fluxcd.io/requestedAt": "t1",
                                         "reconcile.fluxcd.io/forceAt": "t1"}},
            "spec": {"interval": "5m", "chartRef": {"kind": "OCIRepository", "name": "x"},
                     **spec}}


def test_new_fields_are_parsed() -> None:
    hr = parse_helmrelease(_hr(
        dependsOn=[{"name": "db"}, {"name": "cache", "namespace": "infra"}],
        driftDetection={"mode": "warn", "ignore": [
            {"paths": ["/spec/replicas"], "target": {"kind": "Deployment"}}]},
        serviceAccountName="deployer",
        kubeConfig={"secretRef": {"name": "remote"}},
        commonMetadata={"labels": {"team": "a"}, "annotations": {"owner": "b"}},
        postRenderers=[{"kustomize": {
            "patches": [{"patch": "- op: add\n  path: /x\n  value: 1",
                         "target": {"kind": "Service", "name": "web"}}],
            "images": [{"name": "nginx", "newTag": "1.27"}]}}]))
    assert [d.key for d in hr.depends_on] == ["apps/db", "infra/cache"]
    assert hr.drift.mode == "warn"
    assert hr.drift.ignore[0].paths == ("/spec/replicas",)
    assert hr.drift.ignore[0].target == ObjectSelector(kind="Deployment")
    assert service_account_user(hr) == "system:serviceaccount:apps:deployer"
    assert hr.kube_config is not None and hr.kube_config.secret == "remote"
    assert hr.common_labels == {"team": "a"}
    assert hr.post_renderers[0].images[0].new_tag == "1.27"
    assert hr.force_at == hr.requested_at == "t1"


@pytest.mark.parametrize(("spec", "message"), [
    ({"dependsOn": [{"namespace": "x"}]}, "spec.dependsOn[0].name: required"),
    ({"dependsOn": [{"name": "a", "readyExpr": "true"}]}, "readyExpr"),
    ({"driftDetection": {"mode": "sometimes"}}, "spec.driftDetection.mode"),
    ({"driftDetection": {"ignore": [{"paths": ["spec/x"]}]}}, "ignore[0].paths[0]"),
    ({"kubeConfig": {"configMapRef": {"name": "aws"}}}, "configMapRef"),
    ({"kubeConfig": {"secretRef": {}}}, "spec.kubeConfig.secretRef.name: required"),
    ({"commonMetadata": {"labels": {"a": 1}}}, "spec.commonMetadata.labels.a"),
    ({"postRenderers": [{"kustomize": {"images": [{"newTag": "1"}]}}]},
     "spec.postRenderers[0].kustomize.images[0].name: required"),
])
def test_bad_fields_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(HelmReleaseSpecError, match=message.replace("[", r"\[")
                       .replace("]", r"\]").replace(".", r"\.")):
        parse_helmrelease(_hr(**spec))


def test_label_selectors_equality_and_sets() -> None:
    labels = {"tier": "web", "env": "prod"}
    assert parse_label_selector("tier=web,env!=dev", "s")(labels)
    assert parse_label_selector("env in (prod, stage),!canary", "s")(labels)
    assert not parse_label_selector("env notin (prod)", "s")(labels)
    assert not parse_label_selector("canary", "s")(labels)
    with pytest.raises(HelmReleaseSpecError, match="not a label selector rule"):
        parse_label_selector("a=b=c", "s")


def test_selects_by_kind_group_name_and_labels() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "web", "namespace": "a", "labels": {"x": "1"}}}
    assert selects(None, deployment, "t")
    assert selects(ObjectSelector(group="apps", kind="Deployment", label_selector="x=1"),
                   deployment, "t")
    assert not selects(ObjectSelector(kind="Service"), deployment, "t")
    assert not selects(ObjectSelector(version="v2"), deployment, "t")
    assert not selects(ObjectSelector(annotation_selector="a"), deployment, "t")


def test_differences_and_ignored_pointers() -> None:
    want = {"spec": {"replicas": 0, "template": {"containers": [{"image": "a"}]}},
            "metadata": {"name": "x", "resourceVersion": "1"}, "status": {"r": 1}}
    have = copy.deepcopy(want)
    have["spec"]["replicas"] = 3
    have["spec"]["template"]["containers"][0]["image"] = "b"
    have["metadata"]["resourceVersion"] = "9"
    have["status"] = {"r": 2}
    assert drift.differences(drift.comparable(want), drift.comparable(have)) == [
        "/spec/replicas", "/spec/template/containers/0/image"]
    left, right = drift.comparable(want), drift.comparable(have)
    drift.remove_pointer(left, "/spec/replicas")
    drift.remove_pointer(right, "/spec/replicas")
    assert drift.differences(left, right) == ["/spec/template/containers/0/image"]
    # a correction keeps the live value where the ignore rule points
    applied = copy.deepcopy(want)
    drift.keep_live_value(applied, have, "/spec/replicas")
    assert applied["spec"]["replicas"] == 3
    drift.keep_live_value(applied, {"spec": {}}, "/spec/replicas")
    assert "replicas" not in applied["spec"]


def test_ignore_rules_apply_only_to_their_targets() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    rules = [IgnoreRule(paths=("/spec/replicas",), target=ObjectSelector(kind="Deployment")),
             IgnoreRule(paths=("/metadata/labels/x",))]
    assert drift._ignored(service, rules) == ["/metadata/labels/x"]


def test_post_renderer_adds_origin_labels_and_common_metadata() -> None:
    hr = parse_helmrelease(_hr(commonMetadata={"labels": {"team": "a"},
                                               "annotations": {"owner": "b"}}))
    stream = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n"
              "    team: overridden\ndata:\n  k: v\n---\napiVersion: v1\nkind: Service\n"
              "metadata:\n  name: s\n")
    from pyhelm import yamlio

    docs = yamlio.load_all(ControllerPostRenderer(hr).run(stream))
    assert [d["metadata"]["labels"] for d in docs] == [
        {"team": "a", "helm.toolkit.fluxcd.io/name": "web",
         "helm.toolkit.fluxcd.io/namespace": "apps"}] * 2
    assert docs[0]["metadata"]["annotations"] == {"owner": "b"}
    assert docs[0]["data"] == {"k": "v"}


def test_kustomization_carries_patches_targets_and_images() -> None:
    hr = parse_helmrelease(_hr(postRenderers=[{"kustomize": {
        "patches": [{"patch": "p", "target": {"kind": "Deployment", "labelSelector": "a"}}],
        "images": [{"name": "nginx", "newName": "mirror/nginx", "digest": "sha256:0"}]}}]))
    assert kustomization(hr.post_renderers[0], "r.yaml") == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": ["r.yaml"],
        "patches": [{"patch": "p", "target": {"kind": "Deployment", "labelSelector": "a"}}],
        "images": [{"name": "nginx", "newName": "mirror/nginx", "digest": "sha256:0"}]}


@pytest.mark.parametrize("user", [
    {"exec": {"command": "/bin/sh", "args": ["-c", "id"]}},
    {"auth-provider": {"name": "gcp"}},
    {"tokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
    {"client-key": "/etc/controller/key.pem", "client-certificate": "/etc/c.pem"},
])
def test_a_kubeconfig_from_a_secret_may_not_run_programs_or_read_files(
        user: dict[str, Any]) -> None:
    text = ("{clusters: [{name: c, cluster: {server: 'https://x'}}], "
            f"users: [{{name: u, user: {user}}}]}}")
    with pytest.raises(HelmReleaseSpecError, match="user 'u' sets"):
        check_kubeconfig(text.replace("'", '"'), "Secret/a/b")


def test_a_kubeconfig_may_not_skip_tls_or_read_a_ca_file() -> None:
    for cluster in ("{server: https://x, insecure-skip-tls-verify: true}",
                    "{server: https://x, certificate-authority: /etc/ca.crt}"):
        with pytest.raises(HelmReleaseSpecError, match="cluster 'c' sets"):
            check_kubeconfig(f"{{clusters: [{{name: c, cluster: {cluster}}}]}}", "S")
    check_kubeconfig("{clusters: [{name: c, cluster: {server: https://x, "
                     "certificate-authority-data: QQ==}}], users: [{name: u, user: "
                     "{token: t}}]}", "S")


def _object(replicas: int, status: int = 0, name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "a", "resourceVersion": str(status),
                         "labels": {"helm.toolkit.fluxcd.io/name": "hr",
                                    "helm.toolkit.fluxcd.io/namespace": "apps"}},
            "spec": {"replicas": replicas}, "status": {"observedGeneration": status}}


class FakeWatchKube:
    """list_with_version and one watch window of given events, then stop."""

    def __init__(self, items: list[dict[str, Any]], events: list[WatchEvent],
                 stop: threading.Event) -> None:
        self.items, self.events, self.stop = items, events, stop

    def list_with_version(self, *args: Any, **kwargs: Any
                          ) -> tuple[list[dict[str, Any]], str]:
        assert kwargs["label_selector"] == "helm.toolkit.fluxcd.io/name"
        return self.items, "1"

    def watch(self, *args: Any, **kwargs: Any) -> Any:
        yield from self.events
        self.stop.set()


def test_the_drift_watch_queues_changes_and_deletions_not_status_updates() -> None:
    stop = threading.Event()
    queued: list[str] = []
    events = [WatchEvent("MODIFIED", _object(0, status=5)),  # status only
              WatchEvent("MODIFIED", _object(3, status=6)),  # spec changed
              WatchEvent("ADDED", _object(0, name="new")),  # first sight
              WatchEvent("DELETED", _object(0, name="new"))]
    kube = FakeWatchKube([_object(0)], events, stop)
    watcher = DriftWatcher(lambda: kube, queued.append, stop)  # type: ignore[arg-type,return-value]
    watcher.watch([("apps/v1", "Deployment")])
    for thread in watcher.threads:
        thread.join(10)
    assert queued == ["apps/hr", "apps/hr"]
    assert fingerprint(_object(0, 1)) == fingerprint(_object(0, 2))
    assert owner_key({"metadata": {"labels": {}}}) is None


def test_action_options_strategies_rollback_and_uninstall() -> None:
    hr = parse_helmrelease(_hr(
        install={"strategy": {"name": "RetryOnFailure", "retryInterval": "30s"},
                 "disableTakeOwnership": True, "disableSchemaValidation": True,
                 "crds": "Skip", "remediation": {"ignoreTestFailures": True}},
        upgrade={"crds": "CreateReplace", "cleanupOnFail": True,
                 "chartNameChangeStrategy": "Reinstall", "serverSideApply": "auto"},
        rollback={"timeout": "1m", "disableWait": True, "force": True},
        uninstall={"keepHistory": True, "deletionPropagation": "orphan"}))
    assert (hr.install.strategy, hr.install.retry_interval) == ("RetryOnFailure", 30.0)
    assert not hr.install.take_ownership and hr.install.disable_schema_validation
    assert hr.install.crds == "skip" and hr.install.ignore_test_failures
    assert hr.upgrade.crds == "replace" and hr.upgrade.cleanup_on_fail
    assert hr.upgrade.reinstall_on_chart_rename and hr.upgrade.take_ownership
    assert (hr.rollback.timeout, hr.rollback.disable_wait, hr.rollback.force) == (
        60.0, True, True)
    assert (hr.uninstall.keep_history, hr.uninstall.deletion_propagation) == (True, "orphan")
    defaults = parse_helmrelease(_hr())
    assert (defaults.upgrade.crds, defaults.install.crds) == ("skip", "create")
    assert defaults.install.strategy == "RemediateOnFailure"


@pytest.mark.parametrize(("spec", "message"), [
    ({"upgrade": {"serverSideApply": "disabled"}}, "client-side apply is not supported"),
    ({"install": {"serverSideApply": False}}, "client-side apply is not supported"),
    ({"install": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}}},
     "retryInterval: only with RetryOnFailure"),
    ({"upgrade": {"crds": "Replace"}}, "spec.upgrade.crds: 'Replace' is not one of"),
    ({"uninstall": {"deletionPropagation": "now"}}, "deletionPropagation"),
])
def test_bad_action_options_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(HelmReleaseSpecError) as caught:
        parse_helmrelease(_hr(**spec))
    assert message in str(caught.value)


def test_retry_on_failure_never_remediates_nor_runs_out() -> None:
    from pyhelm.controller import remediation

    hr = parse_helmrelease(_hr(upgrade={"strategy": {"name": "RetryOnFailure"},
                                        "remediation": {"retries": 1}}))
    assert not remediation.must_remediate(hr, True, 5)
    assert not remediation.exhausted(hr, True, 50)
    plain = parse_helmrelease(_hr(upgrade={"remediation": {"retries": 1}}))
    assert remediation.exhausted(plain, True, 2) and remediation.must_remediate(plain, True, 2)


@pytest.mark.parametrize(("spec", "message"), [
    ({"postRenderStrategy": "separate"}, "spec.postRenderStrategy: 'separate'"),
    ({"healthCheckExprs": [{"apiVersion": "v1", "kind": "X", "current": "true"}]},
     "spec.healthCheckExprs: CEL"),
    ({"waitStrategy": {"name": "fast"}}, "spec.waitStrategy.name: 'fast' is not one of"),
    ({"persistentClient": "yes"}, "spec.persistentClient: expected true or false"),
])
def test_fields_pyhelm_cannot_honour_are_refused(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(HelmReleaseSpecError) as caught:
        parse_helmrelease(_hr(**spec))
    assert message in str(caught.value)
    for accepted in ({"postRenderStrategy": "combined"}, {"waitStrategy": {"name": "legacy"}},
                     {"persistentClient": False}):
        parse_helmrelease(_hr(**accepted))


def test_the_helm_chart_template_passes_verify_and_missing_values_files_on() -> None:
    from pyhelm.controller.artifact import ensure_helm_chart

    class Applied:
        namespace = "apps"
        objects: list[dict[str, Any]] = []

        def apply(self, obj: dict[str, Any], **_: Any) -> dict[str, Any]:
            self.objects.append(obj)
            return obj

    hr = parse_helmrelease(_hr(chartRef=None, chart={"spec": {
        "chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "repo"},
        "verify": {"provider": "cosign", "secretRef": {"name": "keys"}},
        "ignoreMissingValuesFiles": True, "valuesFiles": ["a.yaml"]}}))
    kube = Applied()
    ensure_helm_chart(kube, hr)  # type: ignore[arg-type]
    spec = kube.objects[0]["spec"]
    assert spec["verify"] == {"provider": "cosign", "secretRef": {"name": "keys"}}
    assert spec["ignoreMissingValuesFiles"] is True
    with pytest.raises(HelmReleaseSpecError, match=r"spec\.chart\.spec\.verify\.provider"):
        parse_helmrelease(_hr(chartRef=None, chart={"spec": {
            "chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "r"},
            "verify": {"secretRef": {"name": "keys"}}}}))
