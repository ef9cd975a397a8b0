"""A HelmRelease's status as helm-controller writes it (``helm.toolkit.fluxcd.io/v2``
``HelmReleaseStatus``): metav1 conditions, the history of release snapshots, the
attempted revision and config digests, failure counters. Pure functions over dicts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyhelm.release.model import Release

READY = "Ready"
RELEASED = "Released"
TEST_SUCCESS = "TestSuccess"
TEST_SUCCEEDED = "TestSucceeded"
TEST_FAILED = "TestFailed"
# reasons (helm-controller's api/v2 condition_types.go and fluxcd/pkg/apis/meta)
INSTALL_SUCCEEDED = "InstallSucceeded"
INSTALL_FAILED = "InstallFailed"
UPGRADE_SUCCEEDED = "UpgradeSucceeded"
UPGRADE_FAILED = "UpgradeFailed"
ARTIFACT_FAILED = "ArtifactFailed"
INIT_FAILED = "InitFailed"  # values from a ConfigMap or Secret could not be read
INVALID_SPEC = "InvalidSpec"  # not one of helm-controller's: it rejects these in the CRD
RECONCILIATION_FAILED = "ReconciliationFailed"
PROGRESSING = "Progressing"
DEPENDENCY_NOT_READY = "DependencyNotReady"
# event reasons of drift detection (Ready stays as it was)
DRIFT_DETECTED = "DriftDetected"
DRIFT_CORRECTED = "DriftCorrected"
DRIFT_FAILED = "DriftCorrectionFailed"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class Condition:
    type: str
    status: bool
    reason: str
    message: str


def set_conditions(existing: Sequence[Mapping[str, Any]], updates: Sequence[Condition],
                   generation: int, now: datetime) -> list[dict[str, Any]]:
    """``existing`` with ``updates`` applied as metav1 conditions: lastTransitionTime moves
    only when a condition's status changes; Ready first, the others in their order."""
    by_type = {str(c.get("type")): dict(c) for c in existing}
    for update in updates:
        status = "True" if update.status else "False"
        old = by_type.get(update.type)
        moved = old is None or old.get("status") != status
        by_type[update.type] = {
            "type": update.type, "status": status, "reason": update.reason,
            "message": update.message[:32768], "observedGeneration": generation,
            "lastTransitionTime": rfc3339(now) if moved or not old
            else old.get("lastTransitionTime") or rfc3339(now)}
    order = [READY] + [t for t in by_type if t != READY]
    return [by_type[t] for t in order if t in by_type]


def condition_is(status: Mapping[str, Any], kind: str, value: bool) -> bool:
    """Whether ``status`` has the condition ``kind`` with that status."""
    wanted = "True" if value else "False"
    return any(c.get("type") == kind and c.get("status") == wanted
               for c in status.get("conditions") or [])


def config_digest(values: Mapping[str, Any]) -> str:
    """``sha256:`` of the values as canonical JSON (sorted keys, no spaces: what Go's
    encoding/json writes for a map)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def snapshot(release: Release) -> dict[str, Any]:
    """One entry of ``status.history`` (helm-controller's ``Snapshot``)."""
    info = release.info
    first = info.first_deployed or info.last_deployed
    last = info.last_deployed or info.first_deployed
    entry: dict[str, Any] = {
        "name": release.name, "namespace": release.namespace, "version": release.version,
        "status": release.state, "chartName": release.chart.metadata.name,
        "chartVersion": release.chart.metadata.version,
        "configDigest": config_digest(release.config),
        "firstDeployed": rfc3339(first) if first else None,
        "lastDeployed": rfc3339(last) if last else None,
    }
    if release.chart.metadata.app_version:
        entry["appVersion"] = release.chart.metadata.app_version
    observed = json.dumps({k: entry[k] for k in sorted(entry)}, separators=(",", ":"),
                          default=str)
    entry["digest"] = "sha256:" + hashlib.sha256(
        (observed + release.manifest).encode()).hexdigest()
    return entry


def history(releases: Sequence[Release], limit: int) -> list[dict[str, Any]]:
    """Snapshots of the release's revisions, newest first (at most ``limit``; 0: all)."""
    newest_first = sorted(releases, key=lambda r: r.version, reverse=True)
    if limit > 0:
        newest_first = newest_first[:limit]
    return [snapshot(r) for r in newest_first]
