"""``test``: run a release's ``test`` hooks and record their last run."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyhelm.action.apply import ReleaseRef
from pyhelm.action.configuration import Configuration
from pyhelm.action.hooks import HookRun, HookSettings, run_hooks
from pyhelm.action.lifecycle import hooks_of
from pyhelm.action.lookup import revision
from pyhelm.action.records import with_outcome
from pyhelm.errors import KubeError

if TYPE_CHECKING:
    from pyhelm.release.model import HookRecord, Release


@dataclass(frozen=True, kw_only=True)
class ReleaseTestOptions:
    name: str
    namespace: str | None = None
    timeout: float = 300.0
    # leave the test objects their delete policy removes until ``result.cleanup()``, so
    # that their logs can be read first (Helm's `test --logs`)
    defer_cleanup: bool = False
    filter: TestFilter = field(default_factory=lambda: TestFilter())


@dataclass(frozen=True)
class TestFilter:
    """Helm's ``--filter``: run (and read the logs of) only the tests named in
    ``include`` (when any are), never those in ``exclude``."""

    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, texts: Iterable[str]) -> TestFilter:
        """``name=NAME`` includes a test, ``!name=NAME`` excludes one; others are ignored,
        as Helm ignores them."""
        include, exclude = set(), set()
        for text in texts:
            if text.startswith("name="):
                include.add(text.removeprefix("name="))
            elif re.match(r"^!\s?name=", text):
                exclude.add(re.sub(r"^!\s?name=", "", text))
        return cls(frozenset(include), frozenset(exclude))

    def selects(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)


@dataclass(frozen=True)
class ReleaseTestResult:
    release: Release
    runs: tuple[HookRun, ...]
    deferred: tuple[Callable[[], None], ...] = ()

    def cleanup(self) -> None:
        """Delete what the hooks' delete policies asked for (``defer_cleanup``)."""
        for delete in self.deferred:
            delete()


def run(cfg: Configuration, options: ReleaseTestOptions) -> ReleaseTestResult:
    namespace = options.namespace or cfg.namespace
    store = cfg.store(namespace)
    release = revision(store, options.name)
    hooks = hooks_of(release)
    deferred: list[Callable[[], None]] | None = [] if options.defer_cleanup else None
    settings = HookSettings(release=ReleaseRef(options.name, namespace),
                            timeout=options.timeout, clock=cfg.clock,
                            deferred_deletions=deferred)
    chosen = [h for h in hooks if options.filter.selects(h.manifest.name)]
    runs = run_hooks(cfg.kube, chosen, "test", settings)
    state = release.info.status.value
    tested = with_outcome(release, state=state, description=release.info.description,
                          now=release.info.last_deployed or cfg.clock())
    tested = dataclasses.replace(tested, hooks=_with_runs(release.hooks or [], runs))
    store.update(tested)
    return ReleaseTestResult(tested, tuple(runs), tuple(deferred or ()))


def _with_runs(records: list[HookRecord], runs: list[HookRun]) -> list[HookRecord]:
    """The release's hook records with the last run of the hooks that ran replaced; the
    others (install, upgrade hooks, filtered-out tests) keep theirs."""
    ran = {run.name: run for run in runs}
    return [dataclasses.replace(record, last_run_started=ran[record.name].started_at,
                                last_run_completed=ran[record.name].completed_at,
                                last_run_phase=ran[record.name].phase)
            if record.name in ran else record for record in records]


def pod_logs(cfg: Configuration, release: Release,
             test_filter: TestFilter | None = None) -> Iterator[tuple[str, str, str]]:
    """(pod, container, its logs) for every container of every test Pod, as Helm 4.3's
    ``test --logs`` reads them: hooks by weight then name (a hook of another kind, such
    as a Job, is skipped), init containers first. A container whose logs cannot be read
    does not stop the pod's others; their errors are raised together after them."""
    for hook in sorted(release.hooks or [], key=lambda h: (h.weight, h.name)):
        if "test" not in hook.events or hook.kind != "Pod":
            continue
        if test_filter is not None and not test_filter.selects(hook.name):
            continue
        try:
            pod = cfg.kube.get("v1", "Pod", hook.name, release.namespace)
        except KubeError as exc:
            raise KubeError(f"unable to get pod {hook.name}: {exc}", status=exc.status,
                            reason=exc.reason) from None
        spec = pod.get("spec") or {}
        errors: list[str] = []
        for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            name = str(container.get("name", ""))
            try:
                text = cfg.kube.pod_log(hook.name, release.namespace, container=name)
            except KubeError as exc:
                errors.append(f"unable to get logs for pod {hook.name}, container {name}: "
                              f"{exc}")
                continue
            yield hook.name, name, text
        if errors:
            raise KubeError("\n".join(errors))
