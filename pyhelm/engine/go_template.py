"""``--template`` flags (``version``, ``get all``) as Helm executes them: Go's
text/template over Helm's own types (``.Release.Chart.Metadata.Name``, ``printf "%q"``,
``%T``), run by helm-engine, which links those types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyhelm.errors import ChartError, RenderError

_TIMEOUT = 30.0
# `{{ .Field }}`, no trimming, no pipeline: what `version --template` is mostly given
_FIELD = re.compile(r"\{\{ *\.(\w+) *\}\}")


@dataclass(frozen=True)
class TemplateOutput:
    text: str  # what the template printed (before its error, when it failed)
    error: str | None = None  # Go's message ("template: _:1:3: ...")

    def checked(self) -> str:
        if self.error is not None:
            raise RenderError(self.error)
        return self.text


def execute(text: str, kind: str, data: Mapping[str, Any]) -> TemplateOutput:
    """``kind``: "release" (``data`` is a release record in Helm's JSON, seen as
    ``.Release``), "version" (``data`` is Helm's BuildInfo fields, JSON-named) or "name"
    (an install's ``--name-template``: Sprig's functions, no data)."""
    from pyhelm.engine.helm_engine import exchange

    try:
        reply = exchange({"op": "gotemplate",
                          "goTemplate": {"text": text, "kind": kind, "data": dict(data)}},
                         _TIMEOUT)
    except ChartError:  # no helm-engine here: plain field references need none
        fields = _go_fields(data)
        if kind != "version" or "{{" in _FIELD.sub("", text) or any(
                name not in fields for name in _FIELD.findall(text)):
            raise
        return TemplateOutput(_FIELD.sub(lambda match: fields[match.group(1)], text))
    error = reply.get("error")
    return TemplateOutput(str(reply.get("text") or ""), str(error) if error else None)


def _go_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """BuildInfo's JSON names (git_commit) as its Go field names (GitCommit)."""
    return {"".join(p.capitalize() for p in key.split("_")): str(value)
            for key, value in data.items()}
