"""helmfile v1.8.0 (built from its Go module, cached like the other Go builds) with
``--helm-binary`` pointed at ``pyhelm``, and at Helm 4.3 in the same test.

``sync``, ``list`` and ``destroy`` must leave the same releases behind with either;
``diff`` and ``apply`` call the helm-diff plugin's command line, which pyhelm has built
in (Helm needs the plugin installed, so those run with pyhelm alone)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import helmfile_build, peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")

HELMFILE = """
releases:
  - name: one
    namespace: {ns}
    chart: ./web
    values:
      - greeting: hi
  - name: two
    namespace: {ns}
    chart: ./web
    set:
      - name: greeting
        value: "{greeting}"
"""


def _project(root: Path, namespace: str, greeting: str = "there") -> Path:
    chart = root / "web"
    if not chart.exists():
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text("greeting: hello\n")
        (chart / "templates" / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
            "data:\n  g: {{ .Values.greeting | quote }}\n")
    (root / "helmfile.yaml").write_text(HELMFILE.format(ns=namespace, greeting=greeting))
    return root


def _helmfile(root: Path, env: dict[str, str], binary: str, *args: str
              ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(helmfile_build.build()), "--helm-binary", binary,
                           "--no-color", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, _COLOUR.sub("", done.stdout),
                                       _COLOUR.sub("", done.stderr))


def _releases(env: dict[str, str], namespace: str) -> list[Any]:
    listed = subprocess.run([str(peers.helm_binary()), "list", "-n", namespace, "-o", "json"],
                            env=env, capture_output=True, text=True, check=True).stdout
    return sorted((r["name"], r["revision"], r["status"], r["chart"])
                  for r in json.loads(listed))


def test_sync_list_destroy_leave_the_same_releases_as_with_helm(tmp_path: Path,
                                                                 kubeconfig: str) -> None:
    seen = {}
    for label, binary in (("helm", str(peers.helm_binary())), ("pyhelm", PYHELM)):
        namespace = f"helmfile-{label}"
        root = _project(tmp_path / label, namespace)
        env = peers.helm_env(tmp_path / label, KUBECONFIG=kubeconfig)
        steps = []
        for args in (["sync"], ["list", "--output", "json"], ["sync"]):
            done = _helmfile(root, env, binary, *args)
            assert done.returncode == 0, done.stderr
            steps.append(json.loads(done.stdout) if "list" in args else None)
            steps.append(_releases(env, namespace))
        _project(root, namespace, greeting="changed")
        assert _helmfile(root, env, binary, "sync").returncode == 0
        steps.append(_releases(env, namespace))
        done = _helmfile(root, env, binary, "destroy")
        assert done.returncode == 0, done.stderr
        steps.append(_releases(env, namespace))
        seen[label] = json.loads(json.dumps(steps).replace(namespace, "NS"))
    assert seen["pyhelm"] == seen["helm"]
    assert seen["pyhelm"][-1] == []


def test_diff_and_apply_run_with_pyhelm_and_no_plugin(tmp_path: Path, kubeconfig: str) -> None:
    """helmfile's diff and apply call `helm diff upgrade ... --detailed-exitcode` (the
    helm-diff plugin's command line), which pyhelm has built in."""
    namespace = "helmfile-apply"
    root = _project(tmp_path, namespace)
    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)
    diff = _helmfile(root, env, PYHELM, "diff", "--detailed-exitcode")
    assert diff.returncode == 2, diff.stderr
    assert "one (./web) UPDATED" in diff.stdout + diff.stderr
    first = _helmfile(root, env, PYHELM, "apply")
    assert first.returncode == 0, first.stderr
    assert "Updated Releases" in first.stdout + first.stderr
    assert [r[:3] for r in _releases(env, namespace)] == [("one", "1", "deployed"),
                                                          ("two", "1", "deployed")]
    again = _helmfile(root, env, PYHELM, "apply")
    assert again.returncode == 0, again.stderr
    assert "Updated Releases" not in again.stdout + again.stderr  # nothing to upgrade
    assert _helmfile(root, env, PYHELM, "diff", "--detailed-exitcode").returncode == 0
    _project(root, namespace, greeting="changed")
    changed = _helmfile(root, env, PYHELM, "diff", "--detailed-exitcode")
    assert changed.returncode == 2 and 'g: "changed"' in changed.stdout, changed.stdout
    assert _helmfile(root, env, PYHELM, "apply").returncode == 0
    assert [r[:3] for r in _releases(env, namespace)] == [("one", "1", "deployed"),
                                                          ("two", "2", "deployed")]
    assert _helmfile(root, env, PYHELM, "destroy").returncode == 0
    assert _releases(env, namespace) == []
