"""What a Helm (Go template) chart is rendered with, as the user gave it: the values as
Helm's command line gives them, what an upgrade reuses, and the cluster ``lookup`` reads.

Plain data, apart from ``helm_engine`` (which imports ``subprocess`` and ``json``), so
the actions can build these for either engine without importing the engine client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ValueSources:
    """The user's values as Helm's command line gives them: Helm's parsers type them."""

    files: tuple[tuple[str, str], ...] = ()  # (name, YAML text), in -f order
    mapping: Mapping[str, Any] = field(default_factory=dict)
    set_json: tuple[str, ...] = ()
    set: tuple[str, ...] = ()
    set_string: tuple[str, ...] = ()
    set_file: tuple[str, ...] = ()
    set_literal: tuple[str, ...] = ()
    stdin: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"files": [{"name": n, "data": d} for n, d in self.files],
                "mapping": dict(self.mapping), "setJSON": list(self.set_json),
                "set": list(self.set), "setString": list(self.set_string),
                "setFile": list(self.set_file), "setLiteral": list(self.set_literal),
                "stdin": self.stdin}


@dataclass(frozen=True, kw_only=True)
class ReuseRule:
    """What an upgrade does with the previous release's values (Helm's reuseValues).

    ``mode``: "reset", "reuse", "reset-then-reuse", or "default" (reuse only when the
    user gave no values)."""

    mode: str
    previous_config: Mapping[str, Any] = field(default_factory=dict)
    previous_chart_values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class KubeTarget:
    """The cluster ``lookup`` reads, named as kubectl names it, with Helm's overrides."""

    kubeconfig: str | None = None  # one file, or KUBECONFIG's list (first wins)
    context: str | None = None
    token: str | None = None
    apiserver: str | None = None
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
