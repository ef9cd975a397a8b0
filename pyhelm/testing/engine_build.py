"""Building ``helm-engine`` (``tools/helm-engine``) from Go modules, cached by input hash.

The binary is built ``CGO_ENABLED=0`` with Helm's version stamped in (so
``.Capabilities.HelmVersion`` says v4.1.4 as the Helm peer does) into
``~/.cache/pyhelm/helm-engine/<hash>/``, then copied to the directory that
``pyhelm.engine.helm_engine.find_binary`` looks in. A warm build is a hash check.

    python -m pyhelm.testing.engine_build          # build or reuse; prints the path
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pyhelm.engine.engine_process import BINARY_NAME, engine_cache_dir
from pyhelm.engine.helm_engine import HELM_VERSION

SOURCE_DIR = Path(__file__).resolve().parents[2] / "tools" / "helm-engine"
HELM_COMMIT = "05fa37973dc9e42b76e1d2883494c87174b6074f"  # the v4.1.4 tag
_VERSION_PACKAGE = "helm.sh/helm/v4/internal/version"


def ldflags() -> str:
    return (f"-s -w -X {_VERSION_PACKAGE}.version={HELM_VERSION} "
            f"-X {_VERSION_PACKAGE}.gitCommit={HELM_COMMIT} "
            f"-X {_VERSION_PACKAGE}.gitTreeState=clean")


def source_hash() -> str:
    digest = hashlib.sha256(ldflags().encode())
    for path in sorted(SOURCE_DIR.iterdir()):
        if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_binary(output: Path, goos: str | None = None, goarch: str | None = None) -> Path:
    """Compile the helper for a platform (the host's by default) to ``output``."""
    env = {**os.environ, "CGO_ENABLED": "0"}
    if goos:
        env["GOOS"] = goos
    if goarch:
        env["GOARCH"] = goarch
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["go", "build", "-trimpath", "-ldflags", ldflags(), "-o", str(output), "."],
                   cwd=SOURCE_DIR, env=env, check=True)
    return output


def build() -> Path:
    """Build (or reuse) the host's helper; return the path find_binary() will use."""
    installed = Path(engine_cache_dir()) / BINARY_NAME
    stamp = Path(engine_cache_dir()) / ".stamp"
    wanted = source_hash()
    if installed.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return installed
    Path(engine_cache_dir()).mkdir(parents=True, exist_ok=True)
    with (Path(engine_cache_dir()) / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.is_file() and stamp.is_file() and stamp.read_text() == wanted:
            return installed
        started = time.monotonic()
        print("pyhelm: building helm-engine ...", file=sys.stderr, flush=True)
        built = build_binary(Path(engine_cache_dir()).parent / wanted / BINARY_NAME)
        staging = installed.with_name(BINARY_NAME + ".new")
        shutil.copy2(built, staging)
        staging.replace(installed)
        stamp.write_text(wanted)
        print(f"pyhelm: built helm-engine in {time.monotonic() - started:.0f}s",
              file=sys.stderr, flush=True)
    return installed


if __name__ == "__main__":
    print(build())
