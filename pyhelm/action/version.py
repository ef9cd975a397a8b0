"""``version``: what this pyhelm is."""

from __future__ import annotations

import platform
from dataclasses import dataclass

import pyhelm


@dataclass(frozen=True)
class VersionInfo:
    version: str
    python_version: str

    def as_dict(self) -> dict[str, str]:
        return {"version": f"v{self.version}", "python_version": self.python_version}


def run() -> VersionInfo:
    return VersionInfo(pyhelm.__version__, platform.python_version())
