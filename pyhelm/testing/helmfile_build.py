"""Building (once per machine) helmfile, the declarative client of ``helm`` that the
tests point at pyhelm.

``tools/helmfile`` is a wrapper Go module whose go.mod is a copy of helmfile's own (its
replace directives make ``go install …@version`` refuse it) plus a ``require`` of
helmfile itself; ``tools.go`` imports the command. The binary goes to
``~/.cache/pyhelm/helmfile-<hash>/helmfile``, ``<hash>`` covering every file of the
wrapper module, so a warm call is a stat; a file lock keeps concurrent callers from
building twice. ``PYHELM_HELMFILE`` names a binary to use instead.

    python -m pyhelm.testing.helmfile_build      # build or reuse; prints the path
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from pyhelm.testing.cluster_build import cache_root
from pyhelm.testing.go_build import build_once

SOURCE_DIR = Path(__file__).resolve().parents[2] / "tools" / "helmfile"
PACKAGE = "github.com/helmfile/helmfile"


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCE_DIR.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def binary_path() -> Path:
    override = os.environ.get("PYHELM_HELMFILE")
    if override:
        return Path(override)
    return cache_root() / f"helmfile-{source_hash()}" / "helmfile"


def build() -> Path:
    """Build (or reuse) helmfile; return its path."""
    target = binary_path()

    def compile_to(output: Path) -> None:
        env = {**os.environ, "CGO_ENABLED": "0"}
        subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(output),
                        PACKAGE], cwd=SOURCE_DIR, env=env, check=True)

    return build_once(target, "helmfile", compile_to, target.is_file)


if __name__ == "__main__":
    print(build())
