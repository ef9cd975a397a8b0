"""Building (once per machine) SeaweedFS's ``weed``, the S3-compatible server of the tests.

``tools/seaweedfs`` is a wrapper Go module whose go.mod is a copy of SeaweedFS's own
(its replace directives make ``go install …@version`` refuse it) plus a ``require`` of
SeaweedFS itself; ``tools.go`` imports the ``weed`` command. The binary goes to
``~/.cache/pyhelm/seaweedfs-<hash>/weed`` where ``<hash>`` covers every file of the
wrapper module, so a warm call is a stat. A cold build takes about 3 minutes and 2.7 GB
of memory on a 2-core machine; a file lock keeps concurrent callers from building twice.
``PYHELM_WEED`` names a ``weed`` binary to use instead.

    python -m pyhelm.testing.seaweedfs_build      # build or reuse; prints the path
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from pyhelm.testing.cluster_build import cache_root
from pyhelm.testing.go_build import build_once

SOURCE_DIR = Path(__file__).resolve().parents[2] / "tools" / "seaweedfs"
PACKAGE = "github.com/seaweedfs/seaweedfs/weed"


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCE_DIR.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def binary_path() -> Path:
    override = os.environ.get("PYHELM_WEED")
    if override:
        return Path(override)
    return cache_root() / f"seaweedfs-{source_hash()}" / "weed"


def build() -> Path:
    """Build (or reuse) ``weed``; return its path."""
    target = binary_path()

    def compile_to(output: Path) -> None:
        env = {**os.environ, "CGO_ENABLED": "0"}
        subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(output),
                        PACKAGE], cwd=SOURCE_DIR, env=env, check=True)

    return build_once(target, "seaweedfs weed (about 3 min cold)", compile_to,
                      target.is_file)


if __name__ == "__main__":
    print(build())
