"""Building one Go binary at most once per machine, by several processes at once."""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def build_once(target: Path, label: str, compile_to: Callable[[Path], Any],
               is_fresh: Callable[[], bool], after: Callable[[], Any] | None = None) -> Path:
    """``target`` when ``is_fresh()``; else, under a file lock (another process may be
    building it already), compile to a staging file and move it into place atomically."""
    if is_fresh():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_fresh():
            return target
        started = time.monotonic()
        print(f"pyhelm: building {label} ...", file=sys.stderr, flush=True)
        staging = target.with_name(target.name + ".new")
        compile_to(staging)
        staging.replace(target)
        if after is not None:
            after()
        print(f"pyhelm: built {label} in {time.monotonic() - started:.0f}s", file=sys.stderr,
              flush=True)
    return target


class WrappedModule:
    """A Go program built from a wrapper module under ``tools/`` (its go.mod a copy of the
    program's own, plus a ``require`` of it: replace directives make ``go install
    …@version`` refuse such programs). The binary goes to
    ``~/.cache/pyhelm/<name>-<hash>/<binary>``, ``<hash>`` covering every file of the
    wrapper module, so a warm call is a stat; ``env_override`` names a binary to use
    instead."""

    def __init__(self, name: str, package: str, binary: str, env_override: str,
                 label: str) -> None:
        self.source_dir = Path(__file__).resolve().parents[2] / "tools" / name
        self.name, self.package, self.binary = name, package, binary
        self.env_override, self.label = env_override, label

    def source_hash(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        for path in sorted(self.source_dir.iterdir()):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]

    def binary_path(self) -> Path:
        import os

        from pyhelm.testing.cluster_build import cache_root

        override = os.environ.get(self.env_override)
        if override:
            return Path(override)
        return cache_root() / f"{self.name}-{self.source_hash()}" / self.binary

    def build(self) -> Path:
        """Build (or reuse) the binary; return its path."""
        import os
        import subprocess

        target = self.binary_path()

        def compile_to(output: Path) -> None:
            env = {**os.environ, "CGO_ENABLED": "0"}
            subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o",
                            str(output), self.package], cwd=self.source_dir, env=env,
                           check=True)

        return build_once(target, self.label, compile_to, target.is_file)
