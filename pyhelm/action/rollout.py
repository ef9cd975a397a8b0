"""The steps install, upgrade and rollback share once a revision is recorded pending.

CRDs of ``crds/`` first, as Helm: created when absent (and waited until Established),
left as they are when present; ``pre-<event>`` hooks, server-side apply of the
manifests in kind order, pruning of what the previous revision had and this one does
not, waiting for readiness when asked, ``post-<event>`` hooks. The caller records the
outcome; this module only acts on the cluster and reports what it did.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyhelm.action.apply import (
    ApplyOutcome,
    ApplySettings,
    ObjectKey,
    ReleaseRef,
    apply_manifests,
    delete_manifests,
    prune_plan,
)
from pyhelm.action.configuration import Configuration
from pyhelm.action.hooks import HookRun, HookSettings, run_hooks
from pyhelm.engine.manifest import Manifest, Rendered
from pyhelm.errors import KubeConflictError, ReleaseError, UsageError
from pyhelm.kube.protocol import KubeClient, KubeObject

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str | float) -> float:
    """Seconds in a Go duration (``5m0s``, ``300s``, ``1h30m``) or a bare number."""
    if isinstance(text, int | float):
        return float(text)
    stripped = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", stripped):
        return float(stripped)
    parts = _DURATION_PART.findall(stripped)
    if not parts or "".join(n + u for n, u in parts) != stripped:
        raise UsageError(f'invalid duration "{text}": use a Go duration such as 5m0s or 300s')
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


@dataclass(frozen=True, kw_only=True)
class RolloutSettings:
    release: ReleaseRef
    event: str  # install, upgrade or rollback
    timeout: float = 300.0
    wait: bool = False
    wait_for_jobs: bool = False
    no_hooks: bool = False
    crds: str = "skip"  # crds/: skip, create (the absent ones, Helm's install) or replace
    take_ownership: bool = False
    force_conflicts: bool = False
    force_replace: bool = False
    # objects of the release's deployed revision: its own, applied without the ownership
    # check's GET (Helm checks only the objects an upgrade adds)
    owned: frozenset[ObjectKey] = frozenset()


@dataclass
class RolloutReport:
    """What the rollout did so far; filled as it goes, so a failure still knows."""

    applied: ApplyOutcome = field(default_factory=lambda: ApplyOutcome([], []))
    pruned: list[str] = field(default_factory=list)
    hooks: list[HookRun] = field(default_factory=list)


def _wait(cfg: Configuration, objects: Sequence[dict[str, Any]], settings: RolloutSettings,
          deadline: float, *, for_jobs: bool) -> None:
    from pyhelm.kube.wait import wait_for

    remaining = max(1.0, deadline - time.monotonic())
    wait_for(cfg.kube, list(objects), timeout=remaining, wait_for_jobs=for_jobs,
             progress=cfg.progress, live=True)  # the apply's answers


def create_missing_crds(kube: KubeClient, crds: Sequence[Manifest]) -> list[KubeObject]:
    """Helm's ``crds/``: a CRD is created when it is absent and left as it is when it
    exists (made by hand, or by another release); it is no part of the release, which
    never updates or deletes it. The created ones are returned (to wait for)."""
    created = []
    for manifest in crds:
        try:
            created.append(kube.create(manifest.obj))
        except KubeConflictError as exc:
            if exc.reason != "AlreadyExists":
                raise
    return created


def rollout(cfg: Configuration, rendered: Rendered, settings: RolloutSettings,
            previous: Sequence[Manifest] = (), report: RolloutReport | None = None
            ) -> RolloutReport:
    report = report if report is not None else RolloutReport()
    deadline = time.monotonic() + settings.timeout
    kube = cfg.kube
    apply_settings = ApplySettings(release=settings.release,
                                   take_ownership=settings.take_ownership,
                                   force_conflicts=settings.force_conflicts,
                                   force_replace=settings.force_replace,
                                   owned=settings.owned)
    if rendered.crds and settings.crds == "create":
        created = create_missing_crds(kube, rendered.crds)
        _wait(cfg, created, settings, deadline, for_jobs=False)
    elif rendered.crds and settings.crds == "replace":  # the controller's CreateReplace
        crds = apply_manifests(kube, rendered.crds, apply_settings)
        _wait(cfg, crds.applied, settings, deadline, for_jobs=False)
    hook_settings = HookSettings(release=settings.release, timeout=settings.timeout,
                                 clock=cfg.clock)
    if not settings.no_hooks:
        report.hooks += run_hooks(kube, rendered.hooks, f"pre-{settings.event}", hook_settings)
    apply_manifests(kube, rendered.manifests, apply_settings, report.applied)
    stale = prune_plan(previous, rendered.manifests, settings.release.namespace)
    report.pruned += delete_manifests(kube, stale, settings.release.namespace)
    if settings.wait or settings.wait_for_jobs:
        cfg.progress(f"waiting for {len(report.applied.applied)} objects to be ready")
        _wait(cfg, report.applied.applied, settings, deadline,
              for_jobs=settings.wait_for_jobs)
    if not settings.no_hooks:
        report.hooks += run_hooks(kube, rendered.hooks, f"post-{settings.event}", hook_settings)
    return report


def failure_reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, ReleaseError) else text.splitlines()[0]
