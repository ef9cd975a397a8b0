"""Building (once per machine) the binaries of the local control plane.

The Go wrapper modules under ``tools/`` pin kube-apiserver, kube-controller-manager and
kube-scheduler (``tools/k8s``), etcd (``tools/etcd``) and kwok (``tools/kwok``). Binaries
go to ``~/.cache/pyhelm/k8s-<version>/bin``; a stamp file holding the hash of the
wrapper modules' go.mod/go.sum makes a warm call a no-op. ``KUBEBUILDER_ASSETS`` (the
envtest convention) names a directory whose binaries are used instead of building them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from pyhelm.cache_dir import cache_dir

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def kubernetes_version() -> str:
    """The pinned Kubernetes release, read from tools/k8s/go.mod."""
    for line in (TOOLS_DIR / "k8s" / "go.mod").read_text().splitlines():
        parts = line.split()
        if parts[:2] == ["require", "k8s.io/kubernetes"]:
            return parts[2]
    raise RuntimeError("tools/k8s/go.mod does not require k8s.io/kubernetes")


def cache_root() -> Path:
    return Path(cache_dir())


def bin_dir() -> Path:
    return cache_root() / f"k8s-{kubernetes_version()}" / "bin"


def _stamp() -> str:
    digest = hashlib.sha256()
    for module in ("k8s", "etcd", "kwok"):
        for name in ("go.mod", "go.sum", "build.sh", "main.go", "tools.go"):
            path = TOOLS_DIR / module / name
            if path.exists():
                digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


def binary_paths() -> dict[str, Path]:
    """Where each binary is taken from: KUBEBUILDER_ASSETS first, then the cache."""
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    paths = {}
    for name in BINARIES:
        candidate = Path(assets) / name if assets else None
        paths[name] = candidate if candidate and candidate.exists() else bin_dir() / name
    return paths


def _go_build(args: list[str], cwd: Path, label: str) -> None:
    started = time.monotonic()
    print(f"pyhelm: building {label} ...", file=sys.stderr, flush=True)
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(args, cwd=cwd, env=env, check=True)
    print(f"pyhelm: built {label} in {time.monotonic() - started:.0f}s", file=sys.stderr,
          flush=True)


def build(force: bool = False) -> dict[str, Path]:
    """Build whatever is missing or stale; return the path of every binary."""
    paths = binary_paths()
    out = bin_dir()
    stamp_file = out / ".stamp"
    fresh = stamp_file.exists() and stamp_file.read_text() == _stamp()
    missing = [n for n, p in paths.items() if not p.exists()]
    if fresh and not missing and not force:
        return paths
    out.mkdir(parents=True, exist_ok=True)
    targets = set(missing) if (fresh and not force) else {
        n for n in BINARIES if paths[n].parent == out}
    control_plane = {"kube-apiserver", "kube-controller-manager", "kube-scheduler"}
    if targets & control_plane:
        _go_build(["bash", str(TOOLS_DIR / "k8s" / "build.sh"), str(out)], TOOLS_DIR / "k8s",
                  f"Kubernetes {kubernetes_version()}")
    if "etcd" in targets:
        _go_build(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "etcd"),
                   "."], TOOLS_DIR / "etcd", "etcd")
    if "kwok" in targets:
        _go_build(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "kwok"),
                   "sigs.k8s.io/kwok/cmd/kwok"], TOOLS_DIR / "kwok", "kwok")
    stamp_file.write_text(_stamp())
    return binary_paths()
