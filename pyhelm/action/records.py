"""The one place release actions build and change release records.

Every other action module goes through these helpers to make or change a
``pyhelm.release.model.Release``. The model is imported inside the functions (and under
``TYPE_CHECKING`` for the annotations) so importing an action stays cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pyhelm.engine.manifest import Hook, Manifest, Rendered, manifest_text

if TYPE_CHECKING:
    from pyhelm.action.hooks import HookRun
    from pyhelm.chart.model import Chart
    from pyhelm.release.model import HookRecord, Release
    from pyhelm.release.status import Status


def status(name: str) -> Status:
    from pyhelm.release.status import Status

    return Status(name)


def hook_records(hooks: Iterable[Hook], runs: Iterable[HookRun]) -> list[HookRecord]:
    from pyhelm.release.model import HookRecord

    last = {run.name: run for run in runs}
    records: list[HookRecord] = []
    for hook in hooks:
        run = last.get(hook.manifest.name)
        records.append(HookRecord(
            name=hook.manifest.name, kind=hook.manifest.kind, path=hook.manifest.template,
            manifest=hook.manifest.content, events=list(hook.events), weight=hook.weight,
            delete_policies=list(hook.delete_policies),
            last_run_started=run.started_at if run else None,
            last_run_completed=run.completed_at if run else None,
            last_run_phase=run.phase if run else ""))
    return records


def new_release(*, name: str, namespace: str, revision: int, chart: Chart,
                config: Mapping[str, Any], rendered: Rendered, state: str, description: str,
                now: datetime, first_deployed: datetime | None = None,
                labels: Mapping[str, str] | None = None) -> Release:
    from pyhelm.release.model import Info, Release

    info = Info(first_deployed=first_deployed or now, last_deployed=now, deleted=None,
                description=description, status=status(state), notes=rendered.notes)
    return Release(name=name, namespace=namespace, version=revision, info=info, chart=chart,
                   config=dict(config), manifest=manifest_text(rendered.manifests),
                   hooks=hook_records(rendered.hooks, ()), labels=dict(labels or {}))


def with_secrets_hidden(release: Release, rendered: Rendered) -> Release:
    """Helm's ``--hide-secret`` for a dry run: each v1 Secret of the manifest is replaced
    by a note, as Helm prints it."""
    shown = [dataclasses.replace(m, content="# HIDDEN: The Secret output has been suppressed")
             if (m.kind, m.api_version) == ("Secret", "v1") else m
             for m in rendered.manifests]
    return dataclasses.replace(release, manifest=manifest_text(shown))


def with_outcome(release: Release, *, state: str, description: str, now: datetime,
                 hooks: Iterable[Hook] = (), runs: Iterable[HookRun] = ()) -> Release:
    info = dataclasses.replace(release.info, status=status(state), description=description,
                               last_deployed=now,
                               deleted=now if state == "uninstalled" else release.info.deleted)
    changes: dict[str, Any] = {"info": info}
    runs = list(runs)
    if runs:
        changes["hooks"] = hook_records(hooks, runs)
    return dataclasses.replace(release, **changes)


def manifests_of(release: Release, *, heads_only: bool = False) -> list[Manifest]:
    """The manifests a stored release recorded, parsed back into Manifest objects;
    ``heads_only``: each object only as far as its identity and annotations (enough to
    find, delete or prune it)."""
    from pyhelm import yamlhead
    from pyhelm.engine.documents import parse_manifests

    blocks: list[tuple[str, str]] = []
    source = "manifest"
    for block in release.manifest.split("\n---"):
        text = block.strip().removeprefix("---").strip("\n")
        lines = text.splitlines()
        if lines and lines[0].startswith("# Source: "):
            source = lines[0].removeprefix("# Source: ").strip()
            text = "\n".join(lines[1:])
        blocks.append((source, text))
    with yamlhead.head_loader(len(blocks) if heads_only else 0) as load:
        return [m for source, text in blocks for m in parse_manifests(text, source, load)]
