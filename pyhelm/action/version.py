"""``version``: what this pyhelm is."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from pyhelm._version import __version__

KUBE_CLIENT_VERSION = "v1.34"  # the Kubernetes minor pyhelm is built and tested against


@dataclass(frozen=True)
class VersionInfo:
    version: str
    python_version: str

    def as_dict(self) -> dict[str, str]:
        """Helm's BuildInfo fields (those that mean nothing here are empty), then ours."""
        return {"version": f"v{self.version}", "git_commit": "", "git_tree_state": "",
                "go_version": "", "kube_client_version": KUBE_CLIENT_VERSION,
                "python_version": self.python_version}


def run() -> VersionInfo:
    return VersionInfo(__version__, platform.python_version())
