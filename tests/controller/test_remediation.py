"""helm-controller's retry rules: counted per attempt, remediation while retries remain
or for the last failure when asked, nothing more once exhausted."""

from __future__ import annotations

from typing import Any

import pytest

from pyhelm.controller import remediation as remedy
from pyhelm.controller.spec import parse_helmrelease
from pyhelm.errors import HelmReleaseSpecError


def _hr(**spec: Any) -> Any:
    return parse_helmrelease({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"interval": "1m", "chartRef": {"kind": "OCIRepository", "name": "c"},
                 **spec}})


def test_defaults_try_once_and_do_not_remediate() -> None:
    hr = _hr()
    assert remedy.exhausted(hr, upgrade=True, failures=1)
    assert not remedy.must_remediate(hr, upgrade=True, failures=1)
    assert not remedy.must_remediate(hr, upgrade=False, failures=1)


def test_upgrade_retries_remediate_each_failure_and_the_last() -> None:
    hr = _hr(upgrade={"remediation": {"retries": 2}})
    assert hr.upgrade.remediate_last_failure and hr.upgrade.remediation_strategy == "rollback"
    assert [remedy.exhausted(hr, True, n) for n in (1, 2, 3)] == [False, False, True]
    assert all(remedy.must_remediate(hr, True, n) for n in (1, 2, 3))
    last_off = _hr(upgrade={"remediation": {"retries": 1, "remediateLastFailure": False}})
    assert remedy.must_remediate(last_off, True, 1)
    assert not remedy.must_remediate(last_off, True, 2)


def test_install_retries_without_end_and_explicit_last_failure() -> None:
    hr = _hr(install={"remediation": {"retries": -1, "remediateLastFailure": True}})
    assert not remedy.exhausted(hr, upgrade=False, failures=100)
    assert remedy.must_remediate(hr, upgrade=False, failures=100)


def test_same_attempt_is_generation_chart_and_values() -> None:
    status = {"lastAttemptedGeneration": 3, "lastAttemptedRevisionDigest": "sha256:a",
              "lastAttemptedConfigDigest": "sha256:v"}
    assert remedy.same_attempt(status, 3, "sha256:a", "sha256:v")
    assert not remedy.same_attempt(status, 4, "sha256:a", "sha256:v")
    assert not remedy.same_attempt(status, 3, "sha256:b", "sha256:v")
    assert not remedy.same_attempt(status, 3, "sha256:a", "sha256:w")


@pytest.mark.parametrize(("spec", "message"), [
    ({"upgrade": {"remediation": {"retries": -2}}}, "spec.upgrade.remediation.retries"),
    ({"upgrade": {"remediation": {"strategy": "retry"}}},
     "'retry' is not one of rollback, uninstall"),
    ({"install": {"remediation": {"retries": "3"}}}, "spec.install.remediation.retries"),
])
def test_bad_remediation_fields(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(HelmReleaseSpecError) as caught:
        _hr(**spec)
    assert message in str(caught.value)
