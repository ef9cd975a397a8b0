"""``list``: the latest revision of each release, filtered as ``helm list`` does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhelm.action.configuration import Configuration
from pyhelm.errors import UsageError
from pyhelm.release.summary import Summary, summary_of

if TYPE_CHECKING:
    from pyhelm.release.model import Release
    from pyhelm.storage.store import ReleaseStore


@dataclass(frozen=True, kw_only=True)
class ListOptions:
    """``list``'s options."""

    namespace: str | None = None
    all_namespaces: bool = False
    states: frozenset[str] = frozenset()  # empty: every status, as Helm 4
    all_states: bool = False
    filter: str | None = None
    selector: str | None = None  # Helm's -l: key=value, key==value, key!=value, comma-joined
    by_date: bool = False
    reverse: bool = False
    offset: int = 0
    max: int = 256


def select(revisions: list[Summary], options: ListOptions) -> list[Summary]:
    """Pure: latest revision per (namespace, name), filtered and sorted by name."""
    latest: dict[tuple[str, str], Summary] = {}
    for found in revisions:
        key = (found.namespace, found.name)
        if key not in latest or found.version > latest[key].version:
            latest[key] = found
    try:
        pattern = re.compile(options.filter) if options.filter else None
    except re.error as exc:
        raise UsageError(f"--filter {options.filter!r}: {exc}") from exc
    matches = parse_selector(options.selector)
    picked = [r for r in latest.values()
              if (options.all_states or not options.states or r.status.value in options.states)
              and (pattern is None or pattern.search(r.name))
              and matches(record_labels(r))]
    if options.by_date:
        # Helm compares whole seconds; its (stable, for few items) sort keeps name order
        picked.sort(key=lambda r: (int(r.last_deployed.timestamp())
                                   if r.last_deployed else 0, r.name))
    else:
        picked.sort(key=lambda r: (r.name, r.namespace))
    if options.reverse:
        picked.reverse()
    picked = picked[max(options.offset, 0):]
    return picked[:options.max] if options.max > 0 else picked


def select_releases(revisions: list[Release], options: ListOptions) -> list[Release]:
    """``select`` over whole records."""
    pairs = [(summary_of(r), r) for r in revisions]  # kept alive: their ids stay unique
    by_id = {id(s): r for s, r in pairs}
    return [by_id[id(s)] for s in select([s for s, _ in pairs], options)]


def record_labels(summary: Summary) -> dict[str, str]:
    """The storage object's labels (Helm's, and any custom ones)."""
    return {"name": summary.name, "owner": "helm", "status": summary.status.value,
            "version": str(summary.version), **(summary.labels or {})}


def parse_selector(text: str | None) -> Callable[[dict[str, str]], bool]:
    """A predicate for Helm's ``--selector`` (equality-based label selectors)."""
    rules: list[tuple[str, str, bool]] = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, equal, value = _split_rule(part)
        if not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?", key):
            raise UsageError(f'--selector "{text}": invalid label key "{key}"')
        rules.append((key, value, equal))
    return lambda labels: all((labels.get(k) == v) == eq for k, v, eq in rules)


def _split_rule(part: str) -> tuple[str, bool, str]:
    for operator, equal in (("!=", False), ("==", True), ("=", True)):
        if operator in part:
            key, _, value = part.partition(operator)
            return key.strip(), equal, value.strip()
    raise UsageError(f'--selector "{part}": expected key=value, key==value or key!=value')


def run(cfg: Configuration, options: ListOptions) -> list[Release]:
    """The listed releases as whole records (for library callers)."""
    return select_releases(list(_store(cfg, options).list_releases()), options)


def run_summaries(cfg: Configuration, options: ListOptions) -> list[Summary]:
    """What ``list`` prints: records are decoded only where no summary answers."""
    return select(_store(cfg, options).list_summaries(), options)


def _store(cfg: Configuration, options: ListOptions) -> ReleaseStore:
    return cfg.store(None if options.all_namespaces else (options.namespace or cfg.namespace))
