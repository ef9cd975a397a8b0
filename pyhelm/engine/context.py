"""The names a Jinja2 template sees besides Values, Release and Capabilities
(``release_info``): Chart, Files, Template.

``Chart`` and ``Template`` are plain dicts (the sandbox reads mapping keys as
attributes); ``Files`` is a small object with methods, as in Helm.
"""

from __future__ import annotations

import base64
import fnmatch
from collections.abc import Iterable
from typing import Any

from pyhelm.chart.model import TEMPLATES_DIR, Chart, ChartFile


class Files:
    """The chart's non-template files, read-only."""

    def __init__(self, files: Iterable[ChartFile]) -> None:
        self._files = {f.name: f.data for f in files}

    def get(self, name: str) -> str:
        data = self._files.get(str(name))
        return data.decode("utf-8", "replace") if data is not None else ""

    def get_bytes(self, name: str) -> bytes:
        return self._files.get(str(name), b"")

    def glob(self, pattern: str) -> Files:
        matched = [ChartFile(n, d) for n, d in self._files.items()
                   if fnmatch.fnmatchcase(n, str(pattern))]
        return Files(matched)

    def lines(self, name: str) -> list[str]:
        return self.get(name).splitlines()

    def names(self) -> list[str]:
        return sorted(self._files)

    def as_config(self) -> str:
        data = {n.rsplit("/", 1)[-1]: d.decode("utf-8", "replace")
                for n, d in sorted(self._files.items())}
        from pyhelm import yamlio

        return yamlio.dump(data).rstrip("\n") if data else ""

    def as_secrets(self) -> str:
        data = {n.rsplit("/", 1)[-1]: base64.b64encode(d).decode()
                for n, d in sorted(self._files.items())}
        from pyhelm import yamlio

        return yamlio.dump(data).rstrip("\n") if data else ""

    def __iter__(self) -> Any:
        return iter(sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)


def chart_dict(chart: Chart) -> dict[str, Any]:
    """Chart.yaml with Helm's capitalised names."""
    meta = chart.metadata
    return {
        "Name": meta.name, "Version": meta.version, "AppVersion": meta.app_version or "",
        "Description": meta.description or "", "Type": meta.type,
        "KubeVersion": meta.kube_version or "", "Keywords": list(meta.keywords),
        "Home": meta.home or "", "Sources": list(meta.sources),
        "Maintainers": [{"Name": m.name, "Email": m.email or "", "URL": m.url or ""}
                        for m in meta.maintainers],
        "Icon": meta.icon or "", "Deprecated": meta.deprecated,
        "Annotations": dict(meta.annotations), "APIVersion": meta.api_version,
        "Dependencies": [{"Name": d.name, "Version": d.version, "Repository": d.repository,
                          "Alias": d.alias or ""} for d in meta.dependencies],
    }


def template_dict(chart_path: str, template_name: str) -> dict[str, str]:
    return {"Name": f"{chart_path}/{template_name}",
            "BasePath": f"{chart_path}/{TEMPLATES_DIR.rstrip('/')}"}
