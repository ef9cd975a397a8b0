"""The ``helm-charts`` extra: a platform wheel carrying helm-engine, installed for real.

The linux-amd64 wheel is built with ``tools/build_engine_wheels.py`` (the script that
builds all five platforms), installed with pyhelm into a fresh virtual environment
(``pip install '.[helm-charts]'``), and that pyhelm renders a Helm chart with the
wheel's binary alone (no build cache, no ``$PYHELM_HELM_ENGINE``) as Helm does.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from pyhelm.helm_reference import HELM_VERSION
from pyhelm.testing import peers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.helm, pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64") or sys.platform != "linux",
    reason="the test installs the linux-amd64 wheel")]


def test_wheel_installs_and_renders_like_helm(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, str(ROOT / "tools" / "build_engine_wheels.py"),
                            str(tmp_path / "dist"), "--platform", "linux-amd64"],
                           capture_output=True, text=True, timeout=900, check=True)
    wheel = Path(json.loads(built.stdout.splitlines()[-1])["wheel"])
    version = HELM_VERSION.lstrip("v")
    assert wheel.name.startswith(f"pyhelm_helm_engine-{version}-py3-none-manylinux_2_17_x86_64")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "pyhelm_helm_engine/bin/helm-engine" in names
        licences = [n for n in names if "/licenses/" in n]
        assert any("helm.sh/helm/v4/" in n for n in licences)
        assert any("github.com/Masterminds/sprig/v3/" in n for n in licences)
        wheel_tags = archive.read(f"pyhelm_helm_engine-{version}.dist-info/WHEEL").decode()
        assert "Tag: py3-none-manylinux2014_x86_64" in wheel_tags

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--find-links",
                    str(wheel.parent), f"{ROOT}[helm-charts]"], check=True, timeout=900)

    home = tmp_path / "home"
    helm_env = peers.helm_env(home)
    subprocess.run([str(peers.helm_binary()), "create", "web"], cwd=tmp_path, env=helm_env,
                   check=True, capture_output=True)
    clean_env = {"PATH": "/usr/bin:/bin", "HOME": str(home),
                 "XDG_CACHE_HOME": str(home / "empty-cache")}
    mine = subprocess.run([str(env_dir / "bin" / "pyhelm"), "template", "r", "web",
                           "--set", "replicaCount=2"], cwd=tmp_path, env=clean_env,
                          capture_output=True, text=True, timeout=120, check=False)
    helm = subprocess.run([str(peers.helm_binary()), "template", "r", "web",
                           "--set", "replicaCount=2"], cwd=tmp_path, env=helm_env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout
