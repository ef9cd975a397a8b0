"""Building ``helm-engine`` (``tools/helm-engine``) from Go modules, cached by input hash.

The binary is built ``CGO_ENABLED=0`` with Helm's version stamped in (so
``.Capabilities.HelmVersion`` says what the Helm peer says) into the directory that
``pyhelm.engine.engine_process.find_binary`` looks in, beside a stamp holding the hash of
its sources and flags. A warm build is a hash check.

    python -m pyhelm.testing.engine_build          # build or reuse; prints the path
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from pyhelm.engine.engine_process import BINARY_NAME, engine_cache_dir
from pyhelm.helm_reference import HELM_GIT_COMMIT, HELM_VERSION
from pyhelm.testing.go_build import build_once

SOURCE_DIR = Path(__file__).resolve().parents[2] / "tools" / "helm-engine"
_VERSION_PACKAGE = "helm.sh/helm/v4/internal/version"


def ldflags() -> str:
    return (f"-s -w -X {_VERSION_PACKAGE}.version={HELM_VERSION} "
            f"-X {_VERSION_PACKAGE}.gitCommit={HELM_GIT_COMMIT} "
            f"-X {_VERSION_PACKAGE}.gitTreeState=clean")


def source_hash() -> str:
    digest = hashlib.sha256(ldflags().encode())
    for path in sorted(SOURCE_DIR.rglob("*")):
        if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
            name = path.relative_to(SOURCE_DIR).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes())
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
    stamp = installed.with_name(".stamp")
    wanted = source_hash()
    return build_once(
        installed, "helm-engine", build_binary,
        lambda: installed.is_file() and stamp.is_file() and stamp.read_text() == wanted,
        after=lambda: stamp.write_text(wanted))


if __name__ == "__main__":
    print(build())
