"""``create NAME``: a new chart from the scaffold shipped in ``action/scaffold``, or from
a starter chart (``--starter NAME`` under ``$HELM_DATA_HOME/starters``, or a path), as Helm
makes it: the starter's files with ``<CHARTNAME>`` replaced in templates and values, and
a fresh Chart.yaml (the starter's ``pyhelm.sh/engine`` annotation kept)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pyhelm.errors import ChartError

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PLACEHOLDER = "<CHARTNAME>"


@dataclass(frozen=True, kw_only=True)
class CreateOptions:
    name: str
    directory: str = "."
    starter: str | None = None
    starters_dir: Path | None = None  # where named starters live ($HELM_DATA_HOME/starters)


def _scaffold_files() -> dict[str, str]:
    root = resources.files("pyhelm.action") / "scaffold"
    found: dict[str, str] = {}

    def walk(node: object, prefix: str) -> None:
        for child in node.iterdir():  # type: ignore[attr-defined]
            path = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, path + "/")
            elif child.name != "__init__.py":
                found[path] = child.read_text()

    walk(root, "")
    return found


def run(options: CreateOptions) -> Path:
    name = Path(options.name).name
    if not _NAME.match(name):
        raise ChartError(f'chart name "{name}" must be lowercase letters, digits and dashes')
    target = Path(options.directory) / options.name
    if target.exists() and any(target.iterdir()):
        raise ChartError(f"{target}: already exists and is not empty")
    if options.starter:
        _from_starter(options, name, target)
        return target
    for relative, text in sorted(_scaffold_files().items()):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(_PLACEHOLDER, name))
    return target


def _from_starter(options: CreateOptions, name: str, target: Path) -> None:
    from pyhelm import yamlio
    from pyhelm.chart.archive import read_directory
    from pyhelm.chart.loader import load_chart

    assert options.starter is not None
    source = Path(options.starter)
    if not source.is_absolute():
        source = (options.starters_dir or Path("starters")) / options.starter
    if not source.is_dir():
        raise ChartError(f"could not load {source}: no such starter chart directory")
    starter = load_chart(source)  # a starter must be a valid chart
    metadata: dict[str, object] = {
        "apiVersion": "v2", "name": name, "description": "A Helm chart for Kubernetes",
        "type": "application", "version": "0.1.0", "appVersion": "0.1.0"}
    engine = starter.metadata.annotations.get("pyhelm.sh/engine")
    if engine:
        metadata["annotations"] = {"pyhelm.sh/engine": engine}
    for relative, data in sorted(read_directory(source).items()):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative == "Chart.yaml":
            path.write_text(yamlio.dump(metadata, sort_keys=False))
        elif relative.startswith("templates/") or relative == "values.yaml":
            path.write_bytes(data.replace(_PLACEHOLDER.encode(), name.encode()))
        else:
            path.write_bytes(data)
