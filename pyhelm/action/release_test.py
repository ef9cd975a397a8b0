"""``test``: run a release's ``test`` hooks and record their last run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhelm.action.apply import ReleaseRef
from pyhelm.action.configuration import Configuration
from pyhelm.action.hooks import HookRun, HookSettings, run_hooks
from pyhelm.action.lifecycle import hooks_of
from pyhelm.action.lookup import revision
from pyhelm.action.records import with_outcome
from pyhelm.errors import KubeError

if TYPE_CHECKING:
    from pyhelm.release.model import Release


@dataclass(frozen=True, kw_only=True)
class ReleaseTestOptions:
    name: str
    namespace: str | None = None
    timeout: float = 300.0


@dataclass(frozen=True)
class ReleaseTestResult:
    release: Release
    runs: tuple[HookRun, ...]


def run(cfg: Configuration, options: ReleaseTestOptions) -> ReleaseTestResult:
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    release = revision(store, options.name)
    hooks = hooks_of(release)
    settings = HookSettings(release=ReleaseRef(options.name, namespace),
                            timeout=options.timeout, clock=cfg.clock)
    runs = run_hooks(cfg.kube, hooks, "test", settings)
    state = release.info.status.value
    tested = with_outcome(release, state=state, description=release.info.description,
                          now=release.info.last_deployed or cfg.clock(), hooks=hooks,
                          runs=runs)
    store.update(tested)
    return ReleaseTestResult(tested, tuple(runs))


def pod_logs(cfg: Configuration, release: Release) -> Iterator[tuple[str, str]]:
    """(pod, its logs) for every test hook, as Helm's ``test --logs`` reads them: hooks by
    weight then name, each hook's name taken as its pod's name (a test Job's pod has
    another name, and Helm then fails the same way)."""
    for hook in sorted(release.hooks or [], key=lambda h: (h.weight, h.name)):
        if "test" not in hook.events:
            continue
        try:
            text = cfg.kube.pod_log(hook.name, release.namespace)
        except KubeError as exc:
            raise KubeError(f"unable to get pod logs for {hook.name}: {exc}",
                            status=exc.status, reason=exc.reason) from None
        yield hook.name, text
