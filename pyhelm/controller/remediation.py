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
from pyhelm.controller.spec import RETRY_ON_FAILURE, HelmRelease
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


def retry_on_failure(hr: HelmRelease, upgrade: bool) -> bool:
    """``strategy.name: RetryOnFailure``: no remediation, the action is tried again after
    ``strategy.retryInterval`` for as long as it fails."""
    strategy = hr.upgrade.strategy if upgrade else hr.install.strategy
    return strategy == RETRY_ON_FAILURE


def exhausted(hr: HelmRelease, upgrade: bool, failures: int) -> bool:
    if retry_on_failure(hr, upgrade):
        return False
    limit = retries(hr, upgrade)
    return limit >= 0 and failures > limit


def must_remediate(hr: HelmRelease, upgrade: bool, failures: int) -> bool:
    if retry_on_failure(hr, upgrade):
        return False
    last = hr.upgrade.remediate_last_failure if upgrade else hr.install.remediate_last_failure
    return not exhausted(hr, upgrade, failures) or last


def uninstall(cfg: Configuration, hr: HelmRelease, description: str) -> None:
    """Helm uninstall with ``spec.uninstall``'s options."""
    spec = hr.uninstall
    uninstall_action.run(cfg, uninstall_action.UninstallOptions(
        name=hr.release, namespace=hr.release_namespace, timeout=spec.timeout or hr.timeout,
        keep_history=spec.keep_history, no_hooks=spec.disable_hooks,
        wait=not spec.disable_wait, cascade=spec.deletion_propagation,
        description=description))


def remediate(cfg: Configuration, hr: HelmRelease, upgrade: bool,
              before: Sequence[Release]) -> st.Condition:
    """Roll back to the last revision deployed before the failed upgrade, or uninstall;
    the Remediated condition says how it went."""
    name = f"{hr.release_namespace}/{hr.release}"
    deployed = [r for r in before if r.info.status in (Status.DEPLOYED, Status.SUPERSEDED)]
    if upgrade and hr.upgrade.remediation_strategy == "rollback" and deployed:
        target = deployed[-1]
        spec = hr.rollback
        try:
            rollback_action.run(cfg, rollback_action.RollbackOptions(
                name=hr.release, revision=target.version, namespace=hr.release_namespace,
                wait=not spec.disable_wait, wait_for_jobs=not spec.disable_wait_for_jobs,
                no_hooks=spec.disable_hooks, force_replace=spec.force,
                cleanup_on_fail=spec.cleanup_on_fail, timeout=spec.timeout or hr.timeout,
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
        uninstall(cfg, hr, "Uninstalled by pyhelm controller: remediation")
    except PyhelmError as exc:
        return st.Condition(type=REMEDIATED, status=False, reason="UninstallFailed",
                            message=f"Helm uninstall of {name} failed: {exc}")
    return st.Condition(type=REMEDIATED, status=True, reason="UninstallSucceeded",
                        message=f"Helm uninstall succeeded for release {name}")
