"""Helm's log lines on a real cluster: an upgrade to a deprecated chart, and an
``upgrade --install`` of one, warn once; both tools run on the same case."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]

HOOKS = ('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n---\n'
         'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-p\n'
         '  annotations:\n    helm.sh/hook: pre-instal\n')


def _chart(root: Path, deprecated: bool) -> Path:
    chart = root / ("old" if deprecated else "new") / "notes"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: notes\nversion: 0.1.0\n"
                                      + ("deprecated: true\n" if deprecated else ""))
    (chart / "templates" / "all.yaml").write_text(HOOKS)
    return chart


def test_upgrades_log_a_deprecated_chart_and_skipped_hooks_as_helm(
        namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig,
                         PYHELM_COMMAND_SERVER="0")
    plain, deprecated = str(_chart(tmp_path, False)), str(_chart(tmp_path, True))
    logged: dict[str, list[list[str]]] = {}
    for tool in ("helm", "pyhelm"):
        steps = [["install", f"{tool}-a", plain], ["upgrade", f"{tool}-a", deprecated],
                 ["upgrade", "--install", f"{tool}-b", deprecated]]
        logged[tool] = []
        for step in steps:
            done = subprocess.run([*peers.command(tool), *step, "-n", namespace], env=env,
                                  capture_output=True, text=True, timeout=180, check=False)
            assert done.returncode == 0, done.stderr
            logged[tool].append(done.stderr.splitlines())
    skipped = 'level=INFO msg="skipping unknown hooks" hookTypes=pre-instal'
    deprecation = 'level=WARN msg="this chart is deprecated"'
    assert logged["helm"] == [[skipped], [deprecation, skipped], [deprecation, skipped]]
    assert logged["pyhelm"] == logged["helm"]
