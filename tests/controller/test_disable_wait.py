"""``install``/``upgrade.disableWait`` turns every wait off, Jobs' included, as in
helm-controller (Helm waits for Jobs only when it waits at all): a HelmRelease with
disableWait but the default disableWaitForJobs (false) must not wait for its Deployments
(the controller benchmark's --no-wait rows waited on kube-controller-manager before)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyhelm.controller import reconcile
from pyhelm.controller.spec import parse_helmrelease


def _hr(**spec: Any) -> Any:
    return parse_helmrelease({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "generation": 1},
        "spec": {"interval": "5m", "chartRef": {"kind": "OCIRepository", "name": "podinfo"},
                 **spec}})


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The options install and upgrade were run with."""
    options: list[Any] = []
    monkeypatch.setattr(reconcile.install_action, "run",
                        lambda cfg, o: options.append(o))
    monkeypatch.setattr(reconcile.upgrade_action, "run",
                        lambda cfg, o: options.append(o))
    return options


@pytest.mark.parametrize("upgrade", [False, True])
@pytest.mark.parametrize(("spec", "wait", "jobs"), [
    ({}, True, True),
    ({"disableWait": True}, False, False),
    ({"disableWaitForJobs": True}, True, False),
    ({"disableWait": True, "disableWaitForJobs": True}, False, False),
])
def test_disable_wait_turns_off_every_wait(taken: list[Any], upgrade: bool,
                                           spec: dict[str, Any], wait: bool,
                                           jobs: bool) -> None:
    hr = _hr(**{"upgrade" if upgrade else "install": spec})
    reconcile._release(None, hr, Path("chart.tgz"), upgrade, {})  # type: ignore[arg-type]
    assert (taken[0].wait, taken[0].wait_for_jobs) == (wait, jobs)
