"""HelmRelease parsing: helm-controller's defaults, and one clear error per bad field."""

from __future__ import annotations

from typing import Any

import pytest

from pyhelm.controller.spec import parse_duration, parse_helmrelease
from pyhelm.errors import HelmReleaseSpecError


def _hr(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"interval": "10m",
                            "chartRef": {"kind": "OCIRepository", "name": "podinfo"}}
    base.update(spec)
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "web", "namespace": "apps", "generation": 3, "uid": "u1"},
            "spec": {k: v for k, v in base.items() if v is not None}}


def test_defaults_follow_helm_controller() -> None:
    hr = parse_helmrelease(_hr())
    assert (hr.release, hr.release_namespace, hr.storage) == ("web", "apps", "apps")
    assert hr.chart_ref.display == "OCIRepository/apps/podinfo"
    assert (hr.interval, hr.timeout, hr.max_history, hr.generation) == (600.0, 300.0, 5, 3)
    assert not hr.suspend and not hr.install.disable_wait


def test_target_namespace_names_the_release() -> None:
    hr = parse_helmrelease(_hr(targetNamespace="prod", values={"a": 1}, timeout="1m30s",
                               install={"createNamespace": True, "crds": "Skip"},
                               upgrade={"force": True, "disableWait": True}))
    assert (hr.release, hr.release_namespace, hr.storage) == ("prod-web", "prod", "apps")
    assert hr.values == {"a": 1} and hr.timeout == 90.0
    assert hr.install.create_namespace and hr.install.crds == "skip"
    assert hr.upgrade.force and hr.upgrade.disable_wait
    assert parse_helmrelease(_hr(releaseName="r", targetNamespace="x")).release == "r"


def test_chart_ref_kind_defaults_to_helmchart_and_namespace_is_kept() -> None:
    hr = parse_helmrelease(_hr(chartRef={"name": "c", "namespace": "flux-system"}))
    assert hr.chart_ref.display == "HelmChart/flux-system/c"


@pytest.mark.parametrize(("spec", "message"), [
    ({"interval": "ten minutes"}, "spec.interval: 'ten minutes' is not a duration"),
    ({"interval": None}, "spec.interval: None is not a duration"),
    ({"chartRef": None}, "spec.chartRef or spec.chart: one is required"),
    ({"chart": {"spec": {}}}, "spec.chart and spec.chartRef: give one, not both"),
    ({"chartRef": None, "chart": {"spec": {"chart": "c"}}},
     "spec.chart.spec.sourceRef.kind: required"),
    ({"chartRef": None, "chart": {"kind": "OCIRepository", "spec": {"url": "oci://x"}}},
     "spec.chart.kind: 'OCIRepository' templates are not supported yet"),
    ({"chartRef": None, "chart": {"spec": {"sourceRef": {"kind": "HelmRepository",
                                                         "name": "r"}}}},
     "spec.chart.spec.chart: required"),
    ({"chartRef": {"kind": "GitRepository", "name": "x"}},
     "spec.chartRef.kind: 'GitRepository' is not one of OCIRepository, HelmChart"),
    ({"chartRef": {"kind": "OCIRepository"}}, "spec.chartRef.name: required"),
    ({"values": ["a"]}, "spec.values: expected an object, got list"),
    ({"suspend": "yes"}, "spec.suspend: expected true or false, got 'yes'"),
    ({"maxHistory": -1}, "spec.maxHistory: -1 is not a count"),
    ({"install": {"timeout": "5"}}, "spec.install.timeout: '5' is not a duration"),
    ({"valuesFrom": [{"kind": "Pod", "name": "v"}]},
     "spec.valuesFrom[0].kind: 'Pod' is not ConfigMap or Secret"),
    ({"valuesFrom": [{"kind": "Secret"}]}, "spec.valuesFrom[0].name: required"),
    ({"dependsOn": {"name": "db"}}, "spec.dependsOn: expected a list, got dict"),
    ({"postRenderers": [{"kustomize": {"patches": [{}]}}]},
     "spec.postRenderers[0].kustomize.patches[0].patch: required"),
    ({"driftDetection": {"mode": "Enabled"}},
     "spec.driftDetection.mode: 'Enabled' is not one of enabled, warn, disabled"),
])
def test_bad_fields_are_named(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(HelmReleaseSpecError) as caught:
        parse_helmrelease(_hr(**spec))
    assert message in str(caught.value)


def test_wrong_kind_is_refused() -> None:
    obj = _hr()
    obj["apiVersion"] = "helm.toolkit.fluxcd.io/v2beta1"
    with pytest.raises(HelmReleaseSpecError, match=r"expected helm\.toolkit\.fluxcd\.io/v2"):
        parse_helmrelease(obj)


def test_durations() -> None:
    assert parse_duration("1h30m", "x") == 5400.0
    assert parse_duration("500ms", "x") == 0.5
    assert parse_duration("2.5s", "x") == 2.5


def test_chart_template_names_the_helmchart_as_helm_controller() -> None:
    hr = parse_helmrelease(_hr(chartRef=None, chart={
        "metadata": {"labels": {"team": "web"}},
        "spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository",
                                                   "name": "charts"}}}))
    assert hr.chart_ref.display == "HelmChart/apps/apps-web"
    template = hr.chart_template
    assert template is not None
    assert (template.chart, template.version, template.interval) == ("podinfo", "*", "10m")
    assert template.labels == {"team": "web"}
    elsewhere = parse_helmrelease(_hr(chartRef=None, chart={"spec": {
        "chart": "podinfo", "version": "1.x", "interval": "1m",
        "sourceRef": {"kind": "HelmRepository", "name": "charts",
                      "namespace": "flux-system"}}}))
    assert elsewhere.chart_ref.display == "HelmChart/flux-system/apps-web"


def test_test_spec() -> None:
    hr = parse_helmrelease(_hr(test={"enable": True, "timeout": "2m",
                                     "ignoreFailures": True}))
    assert (hr.test.enable, hr.test.timeout, hr.test.ignore_failures) == (True, 120.0, True)
    assert not parse_helmrelease(_hr()).test.enable
    filtered = parse_helmrelease(_hr(test={"enable": True, "filters": [
        {"name": "t"}, {"name": "slow", "exclude": True}]})).test
    assert (filtered.include, filtered.exclude) == ({"t"}, {"slow"})
    with pytest.raises(HelmReleaseSpecError, match=r"spec\.test\.filters\[0\]\.name"):
        parse_helmrelease(_hr(test={"filters": [{"exclude": True}]}))
