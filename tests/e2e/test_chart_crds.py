"""A chart's ``crds/`` directory on the real API server, beside Helm 4.3.1: a CRD that
already exists (made by kubectl, or by another release) is left as it is and the install
goes on, as Helm skips it; a missing one is created; an upgrade does not touch them;
they are no part of the release, so uninstall leaves them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.crds.pyhelm.test
spec:
  group: crds.pyhelm.test
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def _chart(root: Path) -> Path:
    """A Go-template chart (both tools render it) with a CRD in crds/."""
    chart = root / "gadgets"
    (chart / "crds").mkdir(parents=True)
    (chart / "templates").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: gadgets\nversion: 0.1.0\n")
    (chart / "crds" / "gadgets.yaml").write_text(CRD)
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n")
    return chart


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def _crd(env: dict[str, str]) -> dict[str, object]:
    done = _run([str(peers.kubectl_binary()), "get", "crd", "gadgets.crds.pyhelm.test", "-o",
                 "json"], env)
    result: dict[str, object] = json.loads(done.stdout) if done.returncode == 0 else {}
    return result


@pytest.mark.parametrize("tool", ["helm", "pyhelm"])
def test_an_existing_crd_is_skipped_and_a_missing_one_created(
        tool: str, namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig,
                         PYHELM_COMMAND_SERVER="0")
    command = peers.command(tool)
    chart = _chart(tmp_path)
    crd_file = chart / "crds" / "gadgets.yaml"
    _run([str(peers.kubectl_binary()), "delete", "-f", str(crd_file), "--ignore-not-found",
          "--wait"], env)
    try:
        first = _run([*command, "install", "first", str(chart), "-n", namespace], env)
        assert first.returncode == 0, first.stderr
        made = _crd(env)
        assert made, "the missing CRD was not created"
        version = made["metadata"]["resourceVersion"]  # type: ignore[index]
        # a second release of the same chart meets the CRD the first one left
        second = _run([*command, "install", "second", str(chart), "-n", namespace], env)
        assert second.returncode == 0, second.stderr
        assert _crd(env)["metadata"]["resourceVersion"] == version  # type: ignore[index]
        # an upgrade leaves crds/ alone, as Helm's does: a CRD removed meanwhile stays so
        _run([str(peers.kubectl_binary()), "delete", "-f", str(crd_file), "--wait"], env)
        upgraded = _run([*command, "upgrade", "first", str(chart), "-n", namespace], env)
        assert upgraded.returncode == 0, upgraded.stderr
        assert not _crd(env), "upgrade created a CRD of crds/"
        _run([str(peers.kubectl_binary()), "apply", "-f", str(crd_file)], env)
        for name in ("first", "second"):
            done = _run([*command, "uninstall", name, "-n", namespace], env)
            assert done.returncode == 0, done.stderr
        assert _crd(env), "uninstall removed a CRD of crds/"
    finally:
        _run([str(peers.kubectl_binary()), "delete", "-f", str(crd_file),
              "--ignore-not-found"], env)
