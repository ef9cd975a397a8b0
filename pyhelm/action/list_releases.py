"""``list``: the latest revision of each release, filtered as ``helm list`` does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyhelm.action.configuration import Configuration
from pyhelm.action.records import state_of
from pyhelm.errors import UsageError

DEFAULT_STATES = frozenset({"deployed", "failed"})


@dataclass(frozen=True, kw_only=True)
class ListOptions:
    namespace: str | None = None
    all_namespaces: bool = False
    states: frozenset[str] = frozenset()  # empty: deployed and failed, as Helm
    all_states: bool = False
    filter: str | None = None
    max: int = 256


def select(revisions: list[Any], options: ListOptions) -> list[Any]:
    """Pure: latest revision per (namespace, name), filtered and sorted by name."""
    latest: dict[tuple[str, str], Any] = {}
    for found in revisions:
        key = (found.namespace, found.name)
        if key not in latest or found.version > latest[key].version:
            latest[key] = found
    wanted = options.states or DEFAULT_STATES
    try:
        pattern = re.compile(options.filter) if options.filter else None
    except re.error as exc:
        raise UsageError(f"--filter {options.filter!r}: {exc}") from exc
    picked = [r for r in latest.values()
              if (options.all_states or state_of(r) in wanted)
              and (pattern is None or pattern.search(r.name))]
    picked.sort(key=lambda r: (r.name, r.namespace))
    return picked[:options.max] if options.max > 0 else picked


def run(cfg: Configuration, options: ListOptions) -> list[Any]:
    namespace = None if options.all_namespaces else (options.namespace or cfg.namespace)
    return select(list(cfg.store(namespace).list_releases()), options)
