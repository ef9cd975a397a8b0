"""What helm-controller does after a failed install or upgrade: count the failure
against ``remediation.retries`` (counted per attempt: a new generation, chart or values
starts again from zero), remediate (install: uninstall; upgrade: roll back to the last
deployed revision, or uninstall) while retries remain or when ``remediateLastFailure``,
and stop trying once they are exhausted, until the next new attempt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyhelm.action import rollback as rollback_action
from pyhelm.action import uninstall as uninstall_action
from pyhelm.action.configuration import Configuration
from pyhelm.controller import status as st
from pyhelm.controller.spec import HelmRelease
from pyhelm.errors import PyhelmError
from pyhelm.release.model import Release
from pyhelm.release.status import Status

REMEDIATED = "Remediated"


def same_attempt(status: Mapping[str, Any], generation: int, artifact_digest: str,
                 config_digest: str) -> bool:
    """Whether this step tries what the last one tried (same generation, chart, values)."""
    return (status.get("lastAttemptedGeneration") == generation
            and status.get("lastAttemptedRevisionDigest") == artifact_digest
            and status.get("lastAttemptedConfigDigest") == config_digest)


def retries(hr: HelmRelease, upgrade: bool) -> int:
    return hr.upgrade.retries if upgrade else hr.install.retries


def exhausted(hr: HelmRelease, upgrade: bool, failures: int) -> bool:
    limit = retries(hr, upgrade)
    return limit >= 0 and failures > limit


def must_remediate(hr: HelmRelease, upgrade: bool, failures: int) -> bool:
    last = hr.upgrade.remediate_last_failure if upgrade else hr.install.remediate_last_failure
    return not exhausted(hr, upgrade, failures) or last


def remediate(cfg: Configuration, hr: HelmRelease, upgrade: bool,
              before: Sequence[Release]) -> st.Condition:
    """Roll back to the last revision deployed before the failed upgrade, or uninstall;
    the Remediated condition says how it went."""
    name = f"{hr.release_namespace}/{hr.release}"
    deployed = [r for r in before if r.info.status in (Status.DEPLOYED, Status.SUPERSEDED)]
    if upgrade and hr.upgrade.strategy == "rollback" and deployed:
        target = deployed[-1]
        try:
            rollback_action.run(cfg, rollback_action.RollbackOptions(
                name=hr.release, revision=target.version, namespace=hr.release_namespace,
                wait=not hr.upgrade.disable_wait, timeout=hr.upgrade.timeout or hr.timeout,
                history_max=hr.max_history))
        except PyhelmError as exc:
            return st.Condition(type=REMEDIATED, status=False, reason="RollbackFailed",
                                message=f"Helm rollback to previous release {name}."
                                        f"v{target.version} failed: {exc}")
        return st.Condition(type=REMEDIATED, status=True, reason="RollbackSucceeded",
                            message=f"Helm rollback to previous release {name}."
                                    f"v{target.version} with chart "
                                    f"{target.chart.metadata.name}@"
                                    f"{target.chart.metadata.version} succeeded")
    try:
        uninstall_action.run(cfg, uninstall_action.UninstallOptions(
            name=hr.release, namespace=hr.release_namespace, timeout=hr.timeout,
            description="Uninstalled by pyhelm controller: remediation"))
    except PyhelmError as exc:
        return st.Condition(type=REMEDIATED, status=False, reason="UninstallFailed",
                            message=f"Helm uninstall of {name} failed: {exc}")
    return st.Condition(type=REMEDIATED, status=True, reason="UninstallSucceeded",
                        message=f"Helm uninstall succeeded for release {name}")
