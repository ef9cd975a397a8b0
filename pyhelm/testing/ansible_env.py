"""Ansible (the PyPI ``ansible`` package, which bundles the ``kubernetes.core``
collection) in a virtual environment of its own, made once per machine, for the tests
that point Ansible's helm modules at pyhelm. Ansible 14 needs Python 3.12 or newer,
taken from the machine (``python3.12``/``python3.13`` on PATH or under pyenv).

    python -m pyhelm.testing.ansible_env        # make or reuse; prints ansible-playbook's path
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from pyhelm.testing.cluster_build import cache_root
from pyhelm.testing.go_build import build_once

ANSIBLE_VERSION = "14.5.0"


def python_312() -> str | None:
    """A Python of at least 3.12 on this machine that runs (a pyenv shim on PATH may
    name a version that is not selected), or None."""
    pyenv = os.path.expanduser("~/.pyenv/versions")
    candidates = [*sorted(glob.glob(os.path.join(pyenv, "3.12*", "bin", "python3"))),
                  *sorted(glob.glob(os.path.join(pyenv, "3.13*", "bin", "python3"))),
                  *filter(None, (shutil.which(n) for n in ("python3.12", "python3.13")))]
    for candidate in candidates:
        check = subprocess.run([candidate, "-c", "import sys, venv; "
                                "sys.exit(sys.version_info < (3, 12))"],
                               capture_output=True, check=False)
        if check.returncode == 0:
            return candidate
    return None


def ansible_playbook() -> Path:
    """``ansible-playbook`` of the environment, making the environment on first use.
    Raises LookupError when the machine has no Python 3.12."""
    python = python_312()
    if python is None:
        raise LookupError("Ansible 14 needs Python >= 3.12 and this machine has none")
    home = cache_root() / f"ansible-{ANSIBLE_VERSION}"
    venv = home / "venv"  # made in place: a venv's scripts name their own path
    playbook = venv / "bin" / "ansible-playbook"

    def make(staging: Path) -> None:
        subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        f"ansible=={ANSIBLE_VERSION}"], check=True)
        staging.write_text(ANSIBLE_VERSION)

    build_once(home / ".made", f"ansible {ANSIBLE_VERSION}", make,
               lambda: (home / ".made").is_file() and playbook.is_file())
    return playbook


if __name__ == "__main__":
    print(ansible_playbook())
