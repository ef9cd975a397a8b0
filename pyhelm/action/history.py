"""``history``, ``status`` and ``get``: reading stored revisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyhelm.action.configuration import Configuration
from pyhelm.action.lookup import history, revision
from pyhelm.errors import ReleaseNotFoundError
from pyhelm.release.summary import Summary, summary_of

if TYPE_CHECKING:
    from pyhelm.engine.manifest import Manifest
    from pyhelm.release.model import Release

GET_WHAT = ("values", "manifest", "notes", "hooks", "metadata", "all")


@dataclass(frozen=True, kw_only=True)
class HistoryOptions:
    """``history``'s options."""

    name: str
    namespace: str | None = None
    max: int = 256


def run_history(cfg: Configuration, options: HistoryOptions) -> list[Release]:
    revisions = history(cfg.store(options.namespace or cfg.namespace), options.name)
    return revisions[-options.max:] if options.max > 0 else revisions


def run_history_summaries(cfg: Configuration, options: HistoryOptions) -> list[Summary]:
    """What ``history`` prints: records are decoded only where no summary answers."""
    revisions = cfg.store(options.namespace or cfg.namespace).history_summaries(options.name)
    if not revisions:
        raise ReleaseNotFoundError(f'release "{options.name}" not found')
    return revisions[-options.max:] if options.max > 0 else revisions


@dataclass(frozen=True, kw_only=True)
class StatusOptions:
    """``status``'s options."""

    name: str
    namespace: str | None = None
    revision: int | None = None
    show_resources: bool = False


@dataclass(frozen=True)
class ResourceState:
    """A release resource's presence and readiness in the cluster."""

    ref: str
    present: bool
    ready: bool
    reason: str


@dataclass(frozen=True)
class StatusResult:
    """``status``'s result: the revision and its resources' live state."""

    release: Release
    resources: tuple[ResourceState, ...]
    live: list[tuple[Manifest, dict[str, Any] | None]]  # each manifest with its live object


def run_status(cfg: Configuration, options: StatusOptions) -> StatusResult:
    namespace = options.namespace or cfg.namespace
    release = revision(cfg.store(namespace), options.name, options.revision)
    states: list[ResourceState] = []
    found: list[tuple[Manifest, dict[str, Any] | None]] = []
    if options.show_resources:
        from pyhelm.action.apply import live_objects
        from pyhelm.action.records import manifests_of

        found = live_objects(cfg.kube, manifests_of(release), namespace)
        states = [_state(manifest.ref, live) for manifest, live in found]
    return StatusResult(release, tuple(states), found)


RELATED = "v1/Pod(related)"
_WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}


def live_tables(cfg: Configuration, release: Release, namespace: str
                ) -> dict[str, list[dict[str, Any]]]:
    """Each object of the release as the server prints it (meta.k8s.io Table), grouped
    by ``VERSION/Kind`` as Helm groups them, and the Pods each workload's selector picks
    under "v1/Pod(related)"; objects gone from the cluster are left out."""
    from concurrent.futures import ThreadPoolExecutor

    from pyhelm.action.records import manifests_of
    from pyhelm.errors import KubeNotFoundError

    def fetch(manifest: Manifest) -> list[tuple[str, dict[str, Any]]]:
        where = manifest.namespace or namespace
        try:
            printed = cfg.kube.get_table(manifest.api_version, manifest.kind, manifest.name,
                                         where)
        except KubeNotFoundError:
            return []
        found = [(f"{manifest.api_version.rsplit('/', 1)[-1]}/{manifest.kind}", printed)]
        selector = _workload_selector(manifest)
        if selector:
            found.append((RELATED, cfg.kube.get_table("v1", "Pod", None, where,
                                                      label_selector=selector)))
        return found

    grouped: dict[str, list[dict[str, Any]]] = {}
    # one request per object, as Helm's; concurrent, since each waits on the server
    with ThreadPoolExecutor(max_workers=8) as pool:
        for found in pool.map(fetch, manifests_of(release)):
            for key, printed in found:
                grouped.setdefault(key, []).append(printed)
    return dict(sorted(grouped.items()))


def related_pods(cfg: Configuration, live: list[tuple[Manifest, dict[str, Any] | None]],
                 namespace: str) -> list[dict[str, Any]]:
    """A PodList per live workload, of the Pods its selector picks (Helm's related pods)."""
    lists = []
    for manifest, obj in live:
        selector = _workload_selector(manifest) if obj is not None else None
        if selector:
            pods = cfg.kube.list("v1", "Pod", manifest.namespace or namespace, selector)
            lists.append({"apiVersion": "v1", "items": pods, "kind": "PodList",
                          "metadata": {}})
    return lists


def _workload_selector(manifest: Any) -> str | None:
    if manifest.kind not in _WORKLOADS:
        return None
    labels = ((manifest.obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _state(ref: str, live: dict[str, Any] | None) -> ResourceState:
    if live is None:
        return ResourceState(ref, False, False, "not found")
    from pyhelm.kube import readiness

    ready, reason = readiness.check(live)
    return ResourceState(ref, True, ready, reason or "")


@dataclass(frozen=True, kw_only=True)
class GetOptions:
    """``get``'s options."""

    name: str
    what: str
    namespace: str | None = None
    revision: int | None = None
    all_values: bool = False


def run_get_release(cfg: Configuration, options: GetOptions) -> Release:
    """The stored revision itself (``options.what`` is not used)."""
    return revision(cfg.store(options.namespace or cfg.namespace), options.name,
                    options.revision)


def run_get(cfg: Configuration, options: GetOptions) -> Any:
    """The requested part of a revision: values (dict), manifest/notes (text), hooks
    (list of dicts), metadata (dict) or all (dict of them); "release": the record."""
    release = revision(cfg.store(options.namespace or cfg.namespace), options.name,
                       options.revision)
    if options.what == "release":
        return release
    parts: dict[str, Callable[[], Any]] = {
        "values": lambda: release_values(release, options.all_values),
        "manifest": lambda: release.manifest,
        "notes": lambda: release.info.notes or "",
        "hooks": lambda: "".join(f"---\n# Source: {h.path}\n{h.manifest}\n"
                                 for h in release.hooks or []),
        "metadata": lambda: metadata(release),
    }
    if options.what == "all":
        return {key: make() for key, make in parts.items()}
    return parts[options.what]()


def release_values(release: Release, computed: bool) -> dict[str, Any]:
    """The user-supplied values, or (computed) the chart's coalesced with them, as
    ``helm get values [-a]``: an empty ``global`` the coalescing added is left out."""
    if not computed:
        return dict(release.config or {})
    from pyhelm.chart.prepare import prepare

    values = dict(prepare(release.chart, dict(release.config or {})).values)
    if values.get("global") == {} and "global" not in (release.config or {}):
        del values["global"]
    return values


def metadata(release: Release) -> dict[str, Any]:
    """Helm's ``get metadata`` / ``list -o json`` fields."""
    return list_row(summary_of(release))


def list_row(summary: Summary) -> dict[str, Any]:
    """One release as ``list -o json`` prints it."""
    from pyhelm.release.timefmt import go_string

    return {"name": summary.name, "namespace": summary.namespace,
            "revision": str(summary.version), "updated": go_string(summary.last_deployed),
            "status": summary.status.value, "chart": summary.chart,
            "app_version": summary.app_version}
