"""Hook Jobs run to completion on the real control plane (kwok plays the kubelet)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyhelm.action.apply import ReleaseRef
from pyhelm.action.hooks import HookFailedError, HookSettings, run_hooks
from pyhelm.engine.documents import parse_manifests
from pyhelm.engine.manifest import Hook, as_hook
from pyhelm.errors import KubeNotFoundError
from pyhelm.kube.client import connect

pytestmark = pytest.mark.cluster


def job_hook(name: str, policy: str, deadline: int | None = None) -> Hook:
    spec = f"  activeDeadlineSeconds: {deadline}\n" if deadline else ""
    text = f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-delete-policy: {policy}
spec:
{spec}  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
"""
    hook = as_hook(parse_manifests(text, f"demo/templates/{name}.yaml")[0])
    assert hook is not None
    return hook


def settings(namespace: str, timeout: float = 60) -> HookSettings:
    return HookSettings(release=ReleaseRef("web", namespace), timeout=timeout,
                        clock=lambda: datetime.now(UTC))


def test_a_job_hook_completes_and_is_deleted_on_success(kubeconfig: str, namespace: str
                                                        ) -> None:
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    runs = run_hooks(kube, [job_hook("migrate", "hook-succeeded")], "pre-install",
                     settings(namespace))
    assert [(r.name, r.phase) for r in runs] == [("migrate", "Succeeded")]
    with pytest.raises(KubeNotFoundError):
        kube.get("batch/v1", "Job", "migrate", namespace)


def test_a_hook_that_cannot_finish_fails_with_its_name(kubeconfig: str, namespace: str) -> None:
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    with pytest.raises(HookFailedError, match='hook "slow"'):
        run_hooks(kube, [job_hook("slow", "before-hook-creation")], "pre-install",
                  settings(namespace, timeout=0.5))
