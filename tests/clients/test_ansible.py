"""Ansible's ``kubernetes.core`` helm modules (``helm``, ``helm_info``, ``helm_template``,
Ansible 14.5) with ``binary_path`` pointed at ``pyhelm``, and at Helm 4.3 in the same
test: each task must report the same ``changed``, ``failed`` and status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import peers
from pyhelm.testing.ansible_env import ansible_playbook, python_312

pytestmark = [pytest.mark.cluster, pytest.mark.helm, pytest.mark.skipif(
    python_312() is None, reason="Ansible 14 needs Python >= 3.12; this machine has none")]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))

_HELM = ("binary_path: '{{ bin }}'\n        kubeconfig: '{{ kc }}'\n"
         "        release_namespace: '{{ ns }}'")
PLAYBOOK = f"""
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: info of a release that does not exist
      kubernetes.core.helm_info:
        {_HELM}
        name: web
    - name: install
      kubernetes.core.helm:
        {_HELM}
        name: web
        chart_ref: '{{{{ chart }}}}'
        create_namespace: true
        values: {{greeting: hi}}
    - name: the same again changes nothing
      kubernetes.core.helm:
        {_HELM}
        name: web
        chart_ref: '{{{{ chart }}}}'
        values: {{greeting: hi}}
    - name: other values, in check mode
      kubernetes.core.helm:
        {_HELM}
        name: web
        chart_ref: '{{{{ chart }}}}'
        values: {{greeting: hey}}
      check_mode: true
    - name: upgrade with other values
      kubernetes.core.helm:
        {_HELM}
        name: web
        chart_ref: '{{{{ chart }}}}'
        values: {{greeting: hey}}
        force: true
        reset_values: true
        values_files: ['{{{{ values_file }}}}']
    - name: info
      kubernetes.core.helm_info:
        {_HELM}
        name: web
    - name: template
      kubernetes.core.helm_template:
        binary_path: '{{{{ bin }}}}'
        chart_ref: '{{{{ chart }}}}'
        values: {{greeting: templated}}
    - name: uninstall
      kubernetes.core.helm:
        {_HELM}
        name: web
        state: absent
        wait: true
    - name: uninstall again changes nothing
      kubernetes.core.helm:
        {_HELM}
        name: web
        state: absent
"""


def _chart(root: Path) -> Path:
    chart = root / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\nextra: 0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
        "  extra: {{ .Values.extra | quote }}\n")
    (root / "more.yaml").write_text("extra: 2\n")
    return chart


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "updated"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _tasks(report: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    """What each task reported, the times of the releases left out."""
    out = []
    for task in report["plays"][0]["tasks"]:
        result = task["hosts"]["localhost"]
        out.append({
            "task": task["task"]["name"], "changed": result.get("changed"),
            "failed": result.get("failed", False), "msg": result.get("msg"),
            "status": _without_times(result.get("status") or {}),
            "rendered": result.get("stdout") if "template" in task["task"]["name"] else None,
        })
    return json.loads(json.dumps(out).replace(namespace, "NS"))


def test_ansible_helm_modules_report_the_same_with_pyhelm_as_with_helm(
        tmp_path: Path, kubeconfig: str) -> None:
    playbook = ansible_playbook()
    chart = _chart(tmp_path)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    reports = {}
    for label, binary in (("helm", str(peers.helm_binary())), ("pyhelm", PYHELM)):
        namespace = f"ansible-{label}"
        env = {**peers.helm_env(tmp_path / label), "ANSIBLE_STDOUT_CALLBACK": "json",
               "ANSIBLE_LOCALHOST_WARNING": "false", "PYTHONWARNINGS": "ignore",
               "ANSIBLE_LOCAL_TEMP": str(tmp_path / label / "ansible-tmp"),
               "ANSIBLE_HOME": str(tmp_path / label / "ansible-home")}
        done = subprocess.run(
            [str(playbook), str(tmp_path / "play.yml"), "-e", f"bin={binary}",
             "-e", f"chart={chart}", "-e", f"kc={kubeconfig}", "-e", f"ns={namespace}",
             "-e", f"values_file={tmp_path / 'more.yaml'}",
             "-e", f"ansible_python_interpreter={playbook.parent / 'python'}"],
            capture_output=True, text=True, env=env, timeout=600, check=False)
        assert done.stdout, done.stderr
        reports[label] = _tasks(json.loads(done.stdout), namespace)
        subprocess.run([str(peers.kubectl_binary()), "--kubeconfig", kubeconfig, "delete",
                        "namespace", namespace, "--wait=false", "--ignore-not-found"],
                       capture_output=True, check=False, env=dict(os.environ))
    for theirs, ours in zip(reports["helm"], reports["pyhelm"], strict=True):
        assert ours == theirs, ours["task"]
    assert [t["changed"] for t in reports["pyhelm"]] == [
        False, True, False, True, True, False, True, True, False]
