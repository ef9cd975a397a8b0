"""``version``: which Helm this pyhelm stands in for, and what this pyhelm is.

Programs that drive ``helm`` read its version to decide what they may call, so the
fields Helm prints carry the Helm release whose behaviour pyhelm implements
(``pyhelm.helm_reference``); pyhelm's own version and Python's are fields of their own.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from pyhelm._version import __version__
from pyhelm.helm_reference import HELM_VERSION, KUBE_CLIENT_VERSION


@dataclass(frozen=True)
class VersionInfo:
    helm_version: str
    pyhelm_version: str
    python_version: str

    def as_dict(self) -> dict[str, str]:
        """Helm's BuildInfo fields (a Go build's commit and toolchain are empty), then ours."""
        return {"version": self.helm_version, "git_commit": "", "git_tree_state": "",
                "go_version": "", "kube_client_version": KUBE_CLIENT_VERSION,
                "pyhelm_version": f"v{self.pyhelm_version}",
                "python_version": self.python_version}


def run() -> VersionInfo:
    return VersionInfo(HELM_VERSION, __version__, platform.python_version())
