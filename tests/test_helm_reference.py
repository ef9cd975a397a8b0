"""One place names the Helm release pyhelm follows; everything else agrees with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.helm_reference import (
    DEFAULT_KUBE_VERSION,
    HELM_GIT_COMMIT,
    HELM_VERSION,
    KUBE_CLIENT_VERSION,
)
from pyhelm.testing import peers

ROOT = Path(__file__).resolve().parents[1]


def test_helm_engine_links_the_helm_release_pyhelm_follows() -> None:
    go_mod = (ROOT / "tools" / "helm-engine" / "go.mod").read_text()
    assert re.search(rf"^\s*helm\.sh/helm/v4 {re.escape(HELM_VERSION)}$", go_mod, re.M)


def test_engine_wheel_extra_pins_that_release() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"pyhelm-helm-engine=={HELM_VERSION.lstrip("v")}"' in pyproject


def test_default_kube_version_is_the_client_go_minor() -> None:
    assert f"{KUBE_CLIENT_VERSION}.0" == DEFAULT_KUBE_VERSION


@pytest.mark.helm
def test_the_helm_peer_is_that_release(tmp_path: Path) -> None:
    helm = peers.helm_binary()
    out = subprocess.run([str(helm), "version"], capture_output=True, text=True, check=True,
                         env=peers.helm_env(tmp_path)).stdout
    assert f'Version:"{HELM_VERSION}"' in out
    assert f'GitCommit:"{HELM_GIT_COMMIT}"' in out
    assert f'KubeClientVersion:"{KUBE_CLIENT_VERSION}"' in out


@pytest.mark.helm
def test_pyhelm_version_reports_helm_fields_like_helm(tmp_path: Path) -> None:
    """Programs parse `helm version`; pyhelm reports the Helm it stands in for."""
    run = [sys.executable, "-m", "pyhelm"]
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    short = subprocess.run([*run, "version", "--short"], capture_output=True, text=True,
                           check=True, env=env).stdout.strip()
    helm_short = subprocess.run([str(peers.helm_binary()), "version", "--short"],
                                capture_output=True, text=True, check=True, env=env).stdout
    assert helm_short.startswith(short)  # Helm adds "+g<commit>" of its own build
    full = subprocess.run([*run, "version"], capture_output=True, text=True, check=True,
                          env=env).stdout
    assert full.startswith(f'version.BuildInfo{{Version:"{HELM_VERSION}", ')
    assert 'PyhelmVersion:"v' in full
    as_json = json.loads(subprocess.run([*run, "version", "-o", "json"], capture_output=True,
                                        text=True, check=True, env=env).stdout)
    assert as_json["version"] == HELM_VERSION
    assert as_json["kube_client_version"] == KUBE_CLIENT_VERSION


@pytest.mark.helm
@pytest.mark.parametrize("template", [
    "{{ .Version }}", "v={{.Version}} k={{ .KubeClientVersion }}\n", "{{ .Nope }}",
    "{{ printf \"%T\" . }}", "{{ .Version"])
def test_version_template_as_helm(tmp_path: Path, template: str) -> None:
    """pyhelm3 asks `version --template '{{ .Version }}'` before anything else."""
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = subprocess.run([str(peers.helm_binary()), "version", "--template", template],
                          capture_output=True, text=True, env=env, check=False)
    mine = subprocess.run([sys.executable, "-m", "pyhelm", "version", "--template", template],
                          capture_output=True, text=True, env=env, check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == (
        helm.returncode, helm.stdout, helm.stderr)


def test_version_template_of_fields_needs_no_engine(tmp_path: Path) -> None:
    env = {**peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0"),
           "PYHELM_HELM_ENGINE": str(tmp_path / "absent")}
    mine = subprocess.run([sys.executable, "-m", "pyhelm", "version", "--template",
                           "{{ .Version }}"], capture_output=True, text=True, env=env,
                          check=True)
    assert mine.stdout == HELM_VERSION
