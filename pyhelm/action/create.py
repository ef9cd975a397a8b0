"""``create NAME``: a new chart from the scaffold shipped in ``action/scaffold``."""

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
    for relative, text in sorted(_scaffold_files().items()):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(_PLACEHOLDER, name))
    return target
