"""One reconcile step of one HelmRelease, as a typed function usable without the
controller loop: read the object (desired state) and the release's records (observed
state), install or upgrade with pyhelm's own actions when they differ, write the
status through the status subresource once, and say when to come back.

The steps follow helm-controller's: resolve ``spec.chartRef`` to its source's
``status.artifact``, download and verify it, install (no release yet) or upgrade, then
conditions ``Released`` and ``Ready``, ``history``, ``lastAttempted*``, counters. Nothing
is done when the generation, the artifact digest and the values are those last
reconciled and the latest revision is deployed.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pyhelm.action import install as install_action
from pyhelm.action import release_test as test_action
from pyhelm.action import upgrade as upgrade_action
from pyhelm.action.configuration import Configuration, default_owner
from pyhelm.action.records import manifests_of
from pyhelm.action.values_options import ValueOptions
from pyhelm.controller import drift as drift_check
from pyhelm.controller import remediation as remedy
from pyhelm.controller import status as st
from pyhelm.controller.access import release_kube
from pyhelm.controller.artifact import (
    Artifact,
    ensure_helm_chart,
    fetch_artifact,
    source_artifact,
)
from pyhelm.controller.postrender import ControllerPostRenderer
from pyhelm.controller.spec import (
    API_VERSION,
    KIND,
    REQUESTED_AT,
    HelmRelease,
    parse_helmrelease,
)
from pyhelm.controller.values import compose_values
from pyhelm.errors import (
    ArtifactError,
    HelmReleaseSpecError,
    KubeNotFoundError,
    PyhelmError,
    ReleaseInProgressError,
    ReleaseNotFoundError,
    WaitCancelledError,
)
from pyhelm.kube.protocol import KubeClient, KubeObject
from pyhelm.release.model import Release
from pyhelm.release.status import Status
from pyhelm.settings import Settings

Clock = Callable[[], datetime]


class StatusKubeClient(KubeClient, Protocol):
    """A kube client that can also write an object's status subresource."""

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str,
                     status: Mapping[str, Any]) -> KubeObject:
        """Merge-patch ``status`` into the object's status subresource."""
        ...

    def list_with_version(self, api_version: str, kind: str, namespace: str | None = None,
                          label_selector: str | None = None
                          ) -> tuple[list[KubeObject], str]:
        """Every object and the list's resourceVersion (to watch from)."""
        ...


@dataclass(frozen=True, kw_only=True)
class ReconcileResult:
    """What one step did. ``action``: install, upgrade, unchanged, suspended, failed.
    ``requeue_after``: seconds until the next step (the interval; None: never)."""

    key: str
    action: str
    ready: bool
    reason: str
    message: str
    revision: int | None = None
    requeue_after: float | None = None
    status: Mapping[str, Any] = field(default_factory=dict)
    # (apiVersion, kind) of the objects whose changes are drift (driftDetection on)
    watched_kinds: tuple[tuple[str, str], ...] = ()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _configuration(kube: KubeClient, hr: HelmRelease, clock: Clock) -> Configuration:
    """A Configuration whose release store is the storage namespace's, whatever the
    target namespace (as helm-controller gives Helm's storage driver)."""
    from pyhelm.storage.store import ReleaseStore, driver_for

    owner = f"pyhelm-controller/{default_owner()}"
    settings = Settings()
    stores: dict[str, ReleaseStore] = {}

    def store(client: KubeClient, _: str) -> ReleaseStore:
        if "store" not in stores:
            # one reconcile step's store: the release's history is read once per step
            stores["store"] = ReleaseStore(driver_for(settings.driver, client, hr.storage),
                                           clock=clock, owner=owner, remember=True)
        return stores["store"]

    target = release_kube(kube, hr)
    return Configuration(kube_factory=lambda: target, namespace_override=hr.release_namespace,
                         store_factory=store, clock=clock, owner=owner, settings=settings)


def _revisions(cfg: Configuration, hr: HelmRelease) -> list[Release]:
    try:
        return cfg.store(hr.release_namespace).history(hr.release)
    except ReleaseNotFoundError:
        return []


def _unchanged(obj: Mapping[str, Any], hr: HelmRelease, artifact: Artifact, digest: str,
               revisions: list[Release]) -> bool:
    status = obj.get("status") or {}
    return (st.condition_is(status, st.READY, True) and bool(revisions)
            and revisions[-1].info.status == Status.DEPLOYED
            and status.get("observedGeneration") == hr.generation
            and status.get("lastAttemptedRevisionDigest") == artifact.digest
            and status.get("lastAttemptedConfigDigest") == digest
            and _post_render_observed(status, hr))


def post_render_digests(hr: HelmRelease) -> dict[str, str]:
    """``observedPostRenderersDigest`` and ``observedCommonMetadataDigest``: a change of
    either makes a new revision, as a change of chart or values does."""
    renderers = [{"patches": [{"patch": p.patch, "target": repr(p.target)}
                              for p in r.patches],
                  "images": [repr(i) for i in r.images]} for r in hr.post_renderers]
    common = {"labels": dict(hr.common_labels), "annotations": dict(hr.common_annotations)}
    return {"observedPostRenderersDigest": st.config_digest({"r": renderers}),
            "observedCommonMetadataDigest": st.config_digest(common)}


def _post_render_observed(status: Mapping[str, Any], hr: HelmRelease) -> bool:
    return all(status.get(k) == v for k, v in post_render_digests(hr).items())


def _test(cfg: Configuration, hr: HelmRelease, release: Release) -> st.Condition | None:
    """Run the release's Helm tests when ``spec.test.enable``: the TestSuccess condition."""
    if not hr.test.enable:
        return None
    name = f"{release.namespace}/{release.name}.v{release.version}"
    try:
        result = test_action.run(cfg, test_action.ReleaseTestOptions(
            name=release.name, namespace=release.namespace,
            timeout=hr.test.timeout or hr.timeout,
            filter=test_action.TestFilter(hr.test.include, hr.test.exclude)))
    except PyhelmError as exc:
        return st.Condition(type=st.TEST_SUCCESS, status=False, reason=st.TEST_FAILED,
                            message=f"Helm test failed for release {name} with chart "
                                    f"{release.chart.metadata.name}@"
                                    f"{release.chart.metadata.version}: {exc}")
    return st.Condition(type=st.TEST_SUCCESS, status=True, reason=st.TEST_SUCCEEDED,
                        message=f"Helm test succeeded for release {name} with chart "
                                f"{release.chart.metadata.name}@"
                                f"{release.chart.metadata.version}: {len(result.runs)} "
                                "test hooks completed successfully")


def _tests_failed(obj: Mapping[str, Any], hr: HelmRelease) -> bool:
    """The last tests failed and that fails the release."""
    return hr.test.enable and not hr.test.ignore_failures and st.condition_is(
        obj.get("status") or {}, st.TEST_SUCCESS, False)


def _in_sync(obj: Mapping[str, Any], hr: HelmRelease, artifact: Artifact, digest: str,
             revisions: list[Release]) -> bool:
    """The latest revision is deployed from this artifact with these values: a new
    generation that changed neither (an interval, suspend and resume) needs no release."""
    status = obj.get("status") or {}
    return (bool(revisions) and revisions[-1].info.status == Status.DEPLOYED
            and status.get("lastAttemptedRevisionDigest") == artifact.digest
            and st.config_digest(revisions[-1].config) == digest
            and _post_render_observed(status, hr))


def _observed(kube: StatusKubeClient, obj: Mapping[str, Any], key: str, hr: HelmRelease,
              revisions: list[Release], now: datetime) -> ReconcileResult:
    """Record that this generation is reconciled by the release as it is."""
    latest = revisions[-1]
    message = (f"Helm release {latest.namespace}/{latest.name}.v{latest.version} is up to "
               "date with its chart and values")
    old = obj.get("status") or {}
    released: Mapping[str, Any] = next(
        (c for c in old.get("conditions") or [] if c.get("type") == st.RELEASED), {})
    reason = str(released.get("reason") or st.INSTALL_SUCCEEDED)
    status = {"observedGeneration": hr.generation, "lastAttemptedGeneration": hr.generation,
              "history": st.history(revisions, hr.max_history),
              "conditions": st.set_conditions(
                  old.get("conditions") or [],
                  [st.Condition(type=st.READY, status=True, reason=reason, message=message)],
                  hr.generation, now)}
    _write(kube, obj, status)
    return ReconcileResult(key=key, action="unchanged", ready=True, reason=reason,
                           message=message, revision=latest.version,
                           requeue_after=hr.interval, status=status)


def _release(cfg: Configuration, hr: HelmRelease, chart: Path, upgrade: bool,
             composed: Mapping[str, Any]) -> Release:
    values = ValueOptions(values=dict(composed))
    renderer = ControllerPostRenderer(hr)
    if not upgrade:
        spec = hr.install
        return install_action.run(cfg, install_action.InstallOptions(
            name=hr.release, chart=str(chart), namespace=hr.release_namespace, values=values,
            create_namespace=spec.create_namespace, wait=not spec.disable_wait,
            # as helm-controller: Helm waits for Jobs only when it waits at all
            wait_for_jobs=not spec.disable_wait and not spec.disable_wait_for_jobs,
            no_hooks=spec.disable_hooks,
            skip_crds=spec.crds == "skip", replace_crds=spec.crds == "replace",
            timeout=spec.timeout or hr.timeout,
            skip_schema_validation=spec.disable_schema_validation,
            take_ownership=spec.take_ownership,
            replace=True, description="Install complete", post_renderer=renderer))
    up = hr.upgrade
    return upgrade_action.run(cfg, upgrade_action.UpgradeOptions(
        name=hr.release, chart=str(chart), namespace=hr.release_namespace, values=values,
        reuse_values=up.preserve_values, reset_values=not up.preserve_values,
        wait=not up.disable_wait,
        wait_for_jobs=not up.disable_wait and not up.disable_wait_for_jobs,
        no_hooks=up.disable_hooks, force_replace=up.force,
        timeout=up.timeout or hr.timeout, history_max=hr.max_history,
        skip_schema_validation=up.disable_schema_validation, take_ownership=up.take_ownership,
        cleanup_on_fail=up.cleanup_on_fail, crds=up.crds,
        description="Upgrade complete", post_renderer=renderer))


def _write(kube: StatusKubeClient, obj: Mapping[str, Any], status: dict[str, Any]
           ) -> dict[str, Any]:
    """Write ``status``, with ``lastHandledReconcileAt`` set to the reconcile request
    this step answers (what ``flux reconcile`` waits for)."""
    meta = obj.get("metadata") or {}
    requested = (meta.get("annotations") or {}).get(REQUESTED_AT)
    if requested:
        status["lastHandledReconcileAt"] = requested
    kube.patch_status(API_VERSION, KIND, str(meta.get("name")), str(meta.get("namespace")),
                      status)
    return status


def _failed(kube: StatusKubeClient, obj: Mapping[str, Any], key: str, generation: int,
            reason: str, message: str, now: datetime, extra: Mapping[str, Any],
            requeue: float | None, more: list[st.Condition] | None = None
            ) -> ReconcileResult:
    old = obj.get("status") or {}
    conditions = [st.Condition(type=st.READY, status=False, reason=reason, message=message)]
    if reason in (st.INSTALL_FAILED, st.UPGRADE_FAILED):
        conditions.append(st.Condition(type=st.RELEASED, status=False, reason=reason,
                                       message=message))
    conditions += more or []
    status = {**extra, "observedGeneration": generation,
              "lastAttemptedGeneration": generation,
              "failures": int(old.get("failures") or 0) + 1,
              "conditions": st.set_conditions(old.get("conditions") or [], conditions,
                                              generation, now)}
    _write(kube, obj, status)
    return ReconcileResult(key=key, action="failed", ready=False, reason=reason,
                           message=message, requeue_after=requeue, status=status)


FINALIZER = "finalizers.fluxcd.io"  # helm-controller's: the release is uninstalled first
ERROR_REQUEUE = 10.0  # seconds before a failed uninstall is tried again


def _with_finalizer(kube: StatusKubeClient, obj: Mapping[str, Any], present: bool) -> None:
    """Add or remove FINALIZER (an update at the resourceVersion read: a conflict is
    tried again by the loop)."""
    meta = dict(obj.get("metadata") or {})
    finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
    if present:
        finalizers.append(FINALIZER)
    if finalizers == list(meta.get("finalizers") or []):
        return
    meta["finalizers"] = finalizers
    updated = {k: v for k, v in obj.items() if k != "status"}
    updated["metadata"] = meta
    kube.replace(updated)


def _reconcile_delete(kube: StatusKubeClient, obj: Mapping[str, Any], key: str,
                      clock: Clock) -> ReconcileResult:
    """The HelmRelease is being deleted: uninstall its release (unless suspended or
    unparseable), then let it go."""
    meta = obj.get("metadata") or {}
    if FINALIZER not in (meta.get("finalizers") or []):
        return ReconcileResult(key=key, action="deleted", ready=False, reason="Deleted",
                               message="HelmRelease is being deleted")
    message = "HelmRelease deleted; release left in place"
    try:
        hr = parse_helmrelease(obj)
    except HelmReleaseSpecError:
        hr = None
    if hr is not None and not hr.suspend:
        cfg = _configuration(kube, hr, clock)
        if _revisions(cfg, hr):
            try:
                remedy.uninstall(cfg, hr, "Uninstalled by pyhelm controller: HelmRelease "
                                          "deleted")
            except PyhelmError as exc:
                return _failed(kube, obj, key, int(meta.get("generation") or 0),
                               "UninstallFailed", f"Helm uninstall failed for release "
                               f"{hr.release_namespace}/{hr.release}: {exc}", clock(), {},
                               ERROR_REQUEUE)
        message = f"Helm uninstall succeeded for release {hr.release_namespace}/{hr.release}"
    _with_finalizer(kube, obj, present=False)
    return ReconcileResult(key=key, action="uninstall", ready=False,
                           reason="UninstallSucceeded", message=message)


def _dependency_not_ready(kube: KubeClient, hr: HelmRelease) -> str:
    """Why a ``spec.dependsOn`` release holds this one back ("" when none does): it must
    exist, be Ready and have observed its latest generation (helm-controller's rule)."""
    for dependency in hr.depends_on:
        try:
            other = kube.get(API_VERSION, KIND, dependency.name, dependency.namespace)
        except KubeNotFoundError:
            return f"dependency '{dependency.key}' not found"
        status = other.get("status") or {}
        generation = (other.get("metadata") or {}).get("generation")
        if not st.condition_is(status, st.READY, True) or \
                status.get("observedGeneration") != generation:
            return f"dependency '{dependency.key}' is not ready"
    return ""


def _watched_kinds(hr: HelmRelease, release: Release | None) -> tuple[tuple[str, str], ...]:
    if hr.drift.mode == "disabled" or release is None:
        return ()
    return tuple(sorted({(m.api_version, m.kind) for m in manifests_of(release)}))


def _drift(kube: StatusKubeClient, obj: Mapping[str, Any], key: str, hr: HelmRelease,
           cfg: Configuration, latest: Release, kinds: tuple[tuple[str, str], ...],
           now: datetime) -> ReconcileResult | None:
    """Find drift of the deployed revision (``driftDetection`` enabled or warn); correct
    it when enabled. None: detection is off, or nothing drifted. ``kinds``: those of the
    revision's objects, for the result (the loop watches them)."""
    if hr.drift.mode == "disabled":
        return None
    name = f"{latest.namespace}/{latest.name}.v{latest.version}"
    try:
        found = drift_check.detect(cfg.kube, latest, hr.drift.ignore)
        if not found:
            return None
        described = "; ".join(d.describe() for d in found[:10]) + (
            f"; and {len(found) - 10} more" if len(found) > 10 else "")
        if hr.drift.mode == "warn":
            return ReconcileResult(
                key=key, action="drift", ready=True, reason=st.DRIFT_DETECTED,
                message=f"Cluster state of release {name} has drifted from the desired "
                        f"state: {described}", revision=latest.version,
                requeue_after=hr.interval, watched_kinds=kinds)
        drift_check.correct(cfg.kube, latest, found)
    except PyhelmError as exc:
        return _failed(kube, obj, key, hr.generation, st.DRIFT_FAILED,
                       f"Cluster state of release {name}: drift correction failed: {exc}",
                       now, {}, hr.interval)
    return ReconcileResult(
        key=key, action="drift", ready=True, reason=st.DRIFT_CORRECTED,
        message=f"Cluster state of release {name} was corrected: {described}",
        revision=latest.version, requeue_after=hr.interval, watched_kinds=kinds)


def _requested(hr: HelmRelease, annotation: str, handled: object) -> bool:
    """A ``forceAt``/``resetAt`` request not handled yet: as Flux's, it counts only with
    ``requestedAt`` set to the same value (``flux reconcile hr --force``/``--reset``)."""
    return bool(annotation) and annotation == hr.requested_at and handled != annotation


def _reset(kube: StatusKubeClient, obj: Mapping[str, Any], hr: HelmRelease
           ) -> Mapping[str, Any]:
    """``resetAt``: the failure counters start again (retries are available again)."""
    status = {"failures": 0, "installFailures": 0, "upgradeFailures": 0,
              "lastHandledResetAt": hr.reset_at}
    kube.patch_status(API_VERSION, KIND, hr.name, hr.namespace, status)
    return {**obj, "status": {**(obj.get("status") or {}), **status}}


def reconcile_release(kube: StatusKubeClient, obj: Mapping[str, Any], *,
                      clock: Clock = _utc_now, source_requeue: float = 5.0
                      ) -> ReconcileResult:
    """Take ``obj`` (a HelmRelease as read from the API server) one step towards its
    spec; the result says what was done. Failures are written to the status and
    returned, never raised (except when the status itself cannot be written). A source
    without a ready artifact is looked at again after ``source_requeue`` seconds (at most
    the interval)."""
    meta = obj.get("metadata") or {}
    key = f"{meta.get('namespace')}/{meta.get('name')}"
    generation = int(meta.get("generation") or 0)
    now = clock()
    if meta.get("deletionTimestamp"):
        return _reconcile_delete(kube, obj, key, clock)
    try:
        hr = parse_helmrelease(obj)
    except HelmReleaseSpecError as exc:
        return _failed(kube, obj, key, generation, st.INVALID_SPEC, str(exc), now, {}, None)
    if hr.suspend:
        return ReconcileResult(key=key, action="suspended", ready=False, reason="Suspended",
                               message="reconciliation is suspended")
    _with_finalizer(kube, obj, present=True)
    blocked = _dependency_not_ready(kube, hr)
    if blocked:
        return _failed(kube, obj, key, generation, st.DEPENDENCY_NOT_READY, blocked, now,
                       {}, source_requeue)
    if _requested(hr, hr.reset_at, (obj.get("status") or {}).get("lastHandledResetAt")):
        obj = _reset(kube, obj, hr)
    force = _requested(hr, hr.force_at, (obj.get("status") or {}).get("lastHandledForceAt"))
    chart_status = ({"helmChart": f"{hr.chart_ref.namespace}/{hr.chart_ref.name}"}
                    if hr.chart_template else {})
    try:
        ensure_helm_chart(kube, hr)
        artifact = source_artifact(kube, hr.chart_ref)
    except (ArtifactError, PyhelmError) as exc:
        return _failed(kube, obj, key, generation, st.ARTIFACT_FAILED, str(exc), now,
                       chart_status, min(hr.interval, source_requeue))
    try:
        values = compose_values(kube, hr)
    except HelmReleaseSpecError as exc:
        return _failed(kube, obj, key, generation, st.INIT_FAILED, str(exc), now,
                       chart_status, min(hr.interval, source_requeue))
    digest = st.config_digest(values)
    try:
        cfg = _configuration(kube, hr, clock)
        revisions = _revisions(cfg, hr)
    except PyhelmError as exc:  # a kubeConfig or service account that cannot be used
        return _failed(kube, obj, key, generation, st.INIT_FAILED, str(exc), now,
                       chart_status, min(hr.interval, source_requeue))
    if not force and _unchanged(obj, hr, artifact, digest, revisions):
        requested = (meta.get("annotations") or {}).get(REQUESTED_AT)
        if requested and (obj.get("status") or {}).get("lastHandledReconcileAt") != requested:
            _write(kube, obj, {})
        kinds = _watched_kinds(hr, revisions[-1])
        drifted = _drift(kube, obj, key, hr, cfg, revisions[-1], kinds, now)
        if drifted is not None:
            return drifted
        return ReconcileResult(key=key, action="unchanged", ready=True, reason="Unchanged",
                               message="release is up to date", revision=revisions[-1].version,
                               requeue_after=hr.interval, status=obj.get("status") or {},
                               watched_kinds=kinds)
    if not force and _in_sync(obj, hr, artifact, digest, revisions):
        if _tests_failed(obj, hr):  # no remediation yet: failed until a new chart or values
            return ReconcileResult(key=key, action="unchanged", ready=False,
                                   reason=st.TEST_FAILED, message="the release's tests failed",
                                   revision=revisions[-1].version, requeue_after=hr.interval)
        observed = _observed(kube, obj, key, hr, revisions, now)
        kinds = _watched_kinds(hr, revisions[-1])
        drifted = _drift(kube, obj, key, hr, cfg, revisions[-1], kinds, now)
        return drifted or dataclasses.replace(observed, watched_kinds=kinds)
    # an upgrade once a revision was deployed; before that (a failed install left its
    # revision) installing again, replacing it, is still the install
    upgrade = any(r.info.status in (Status.DEPLOYED, Status.SUPERSEDED) for r in revisions)
    counter = "upgradeFailures" if upgrade else "installFailures"
    old_status = obj.get("status") or {}
    same = not force and remedy.same_attempt(old_status, generation, artifact.digest, digest)
    failures = int(old_status.get(counter) or 0) if same else 0
    if same and remedy.exhausted(hr, upgrade, failures):
        return ReconcileResult(
            key=key, action="failed", ready=False, reason="RetriesExceeded",
            message=f"{'upgrade' if upgrade else 'install'} retries exhausted "
                    f"({failures} failures): waiting for a new chart, values or generation",
            requeue_after=hr.interval)
    attempted = {"lastAttemptedRevision": artifact.revision.split("@")[0]
                 or artifact.revision,
                 "lastAttemptedRevisionDigest": artifact.digest,
                 "lastAttemptedConfigDigest": digest,
                 "lastAttemptedReleaseAction": "upgrade" if upgrade else "install",
                 "storageNamespace": hr.storage, **chart_status,
                 **post_render_digests(hr)}
    if force:
        attempted["lastHandledForceAt"] = hr.force_at
    attempt = _Attempt(kube=kube, obj=obj, key=key, hr=hr, cfg=cfg, upgrade=upgrade,
                       now=now, revisions=revisions, failures=failures, attempted=attempted,
                       source_requeue=source_requeue)
    try:
        with tempfile.TemporaryDirectory(prefix="pyhelm-artifact-") as tmp:
            chart = fetch_artifact(artifact, Path(tmp))
            if upgrade and _reinstall(cfg, hr, chart, revisions):
                upgrade = False
                attempt = dataclasses.replace(attempt, upgrade=False)
            release = _release(cfg, hr, chart, upgrade, values)
    except ArtifactError as exc:
        return _failed(kube, obj, key, generation, st.ARTIFACT_FAILED, str(exc), now,
                       attempted, hr.interval)
    except WaitCancelledError as exc:  # a newer generation is waiting: no remediation
        return _progressing(attempt, "superseded", f"Helm {attempt.verb} of release "
                            f"{hr.release_namespace}/{hr.release} at generation "
                            f"{generation} superseded: {exc}", 0.0)
    except ReleaseInProgressError as exc:  # another's operation (a person's helm upgrade)
        return _progressing(attempt, "busy", f"Helm {attempt.verb} of release "
                            f"{hr.release_namespace}/{hr.release} waits: {exc}",
                            min(hr.interval, source_requeue))
    except PyhelmError as exc:
        return _attempt_failed(
            attempt, st.UPGRADE_FAILED if upgrade else st.INSTALL_FAILED,
            f"Helm {attempt.verb} failed for release {hr.release_namespace}/{hr.release} "
            f"with chart {artifact.revision}: {exc}", [])
    return _attempt_succeeded(attempt, release)


@dataclass(frozen=True, kw_only=True)
class _Attempt:
    """One install or upgrade being tried, with what its outcome's status needs."""

    kube: StatusKubeClient
    obj: Mapping[str, Any]
    key: str
    hr: HelmRelease
    cfg: Configuration
    upgrade: bool
    now: datetime
    revisions: list[Release]
    failures: int  # this attempt's failures so far
    attempted: dict[str, Any]
    source_requeue: float

    @property
    def verb(self) -> str:
        return "upgrade" if self.upgrade else "install"

    @property
    def counter(self) -> str:
        return "upgradeFailures" if self.upgrade else "installFailures"


def _reinstall(cfg: Configuration, hr: HelmRelease, chart: Path,
               revisions: list[Release]) -> bool:
    """``chartNameChangeStrategy: Reinstall`` and a chart of another name: the release is
    uninstalled, to be installed anew (True)."""
    if not hr.upgrade.reinstall_on_chart_rename:
        return False
    from pyhelm.chart.loader import load_chart

    if load_chart(chart).metadata.name == revisions[-1].chart.metadata.name:
        return False
    remedy.uninstall(cfg, hr, "Uninstalled by pyhelm controller: the chart's name changed")
    return True


def _progressing(attempt: _Attempt, action: str, message: str, requeue: float
                 ) -> ReconcileResult:
    """``Ready=False``, reason Progressing: the attempt stopped for a reason that is not a
    failure of its own, so nothing is counted or remediated."""
    status: dict[str, Any] = {**attempt.attempted, "observedGeneration": attempt.hr.generation,
                              "conditions": st.set_conditions(
        (attempt.obj.get("status") or {}).get("conditions") or [],
        [st.Condition(type=st.READY, status=False, reason=st.PROGRESSING, message=message)],
        attempt.hr.generation, attempt.now)}
    _write(attempt.kube, attempt.obj, status)
    return ReconcileResult(key=attempt.key, action=action, ready=False,
                           reason=st.PROGRESSING, message=message, requeue_after=requeue,
                           status=status)


def _attempt_failed(attempt: _Attempt, reason: str, message: str,
                    more: list[st.Condition]) -> ReconcileResult:
    """Count the failure, remediate (or not) as the spec says, and say when to retry."""
    hr, upgrade = attempt.hr, attempt.upgrade
    failures = attempt.failures + 1
    remediated = (remedy.remediate(attempt.cfg, hr, upgrade, attempt.revisions)
                  if remedy.must_remediate(hr, upgrade, failures) else None)
    extra = {**attempt.attempted, attempt.counter: failures,
             "history": st.history(_revisions(attempt.cfg, hr), hr.max_history)}
    if remedy.retry_on_failure(hr, upgrade):
        again = (hr.upgrade if upgrade else hr.install).retry_interval
    elif remedy.exhausted(hr, upgrade, failures):
        again = hr.interval
    else:
        again = min(hr.interval, attempt.source_requeue)
    return _failed(attempt.kube, attempt.obj, attempt.key, hr.generation, reason, message,
                   attempt.now, extra, again, [*more, *([remediated] if remediated else [])])


def _attempt_succeeded(attempt: _Attempt, release: Release) -> ReconcileResult:
    """Released: run the tests (a failure not ignored fails the attempt), write status."""
    hr, cfg, generation = attempt.hr, attempt.cfg, attempt.hr.generation
    reason = st.UPGRADE_SUCCEEDED if attempt.upgrade else st.INSTALL_SUCCEEDED
    message = (f"Helm {attempt.verb} succeeded for release {release.namespace}/"
               f"{release.name}.v{release.version} with chart "
               f"{release.chart.metadata.name}@{release.chart.metadata.version}")
    released = st.Condition(type=st.RELEASED, status=True, reason=reason, message=message)
    conditions = [st.Condition(type=st.READY, status=True, reason=reason, message=message),
                  released]
    tested = _test(cfg, hr, release)
    if tested is not None:
        conditions.append(tested)
        remediation = hr.upgrade if attempt.upgrade else hr.install
        if not tested.status and not hr.test.ignore_failures:
            if not remediation.ignore_test_failures:
                return _attempt_failed(attempt, st.TEST_FAILED, tested.message,
                                       [released, tested])
            conditions[0] = st.Condition(type=st.READY, status=False, reason=st.TEST_FAILED,
                                         message=tested.message)
    old = attempt.obj.get("status") or {}
    kept = [c for c in old.get("conditions") or [] if c.get("type") != remedy.REMEDIATED]
    status = {**attempt.attempted, "observedGeneration": generation,
              "lastAttemptedGeneration": generation, "failures": 0, "installFailures": 0,
              "upgradeFailures": 0, "lastReleaseRevision": release.version,
              "history": st.history(_revisions(cfg, hr), hr.max_history),
              "conditions": st.set_conditions(kept, conditions, generation, attempt.now)}
    _write(attempt.kube, attempt.obj, status)
    ready = conditions[0]
    return ReconcileResult(key=attempt.key, action=attempt.verb, ready=ready.status,
                           reason=ready.reason, message=ready.message,
                           revision=release.version, requeue_after=hr.interval,
                           status=status, watched_kinds=_watched_kinds(hr, release))
