"""What the controller's e2e tests share: the podinfo-like test chart, the HelmRelease
CRD, commands run with their output checked, the chart served by Flux's real
source-controller from a registry on 127.0.0.1, and the cleanup a namespace needs once
no controller is left to remove its HelmReleases' finalizers."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pyhelm.testing import peers
from pyhelm.testing.registry import running_registry
from pyhelm.testing.source_controller import (
    oci_repository,
    running_source_controller,
    wait_for_artifact,
)

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "pyhelm" / "controller" / "crds" / "helm.toolkit.fluxcd.io_helmreleases.yaml"
HR_API = "helm.toolkit.fluxcd.io/v2"

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 0.1.0\nappVersion: 6.9.0\n",
    "values.yaml": "replicaCount: 0\nmessage: hello\n",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-podinfo
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}-podinfo}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-podinfo}
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.9.0
""",
    "templates/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-podinfo
spec:
  selector: {app: {{ .Release.Name }}-podinfo}
  ports: [{port: 9898}]
""",
    "templates/tests/test-connection.yaml": """apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-podinfo-test
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: curl
      image: curlimages/curl:8.5.0
      command: [curl, "{{ .Release.Name }}-podinfo:9898"]
""",
    "templates/configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-podinfo
data:
  message: {{ .Values.message | quote }}
""",
}


def run(argv: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180,
                            check=False, input=stdin)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr}"
    return result.stdout


def pyhelm(env: dict[str, str], *args: str) -> str:
    return run([sys.executable, "-m", "pyhelm", *args], env)


def kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    return run([str(peers.kubectl_binary()), *args], env, stdin)


def write_chart(root: Path) -> Path:
    """The test chart's directory under ``root``."""
    chart = root / "podinfo"
    for name, text in CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    return chart


@contextlib.contextmanager
def podinfo_source(env: dict[str, str], namespace: str, kubeconfig: str, root: Path, *,
                   crd: bool = True) -> Iterator[str]:
    """The test chart pushed to a registry on 127.0.0.1 (its host yielded),
    source-controller serving it as the OCIRepository ``podinfo``, and (``crd``) the
    HelmRelease CRD applied."""
    pyhelm(env, "package", str(write_chart(root)), "-d", str(root))
    with running_registry(root / "registry") as host, \
            running_source_controller(kubeconfig, root / "source"):
        pyhelm(env, "push", str(root / "podinfo-0.1.0.tgz"), f"oci://{host}/charts")
        if crd:
            kubectl(env, "apply", "--server-side", "-f", str(CRD))
            kubectl(env, "wait", "--for=condition=Established", "--timeout=60s",
                    "crd/helmreleases.helm.toolkit.fluxcd.io")
        kubectl(env, "apply", "-f", "-", stdin=json.dumps(oci_repository(
            "podinfo", namespace, f"oci://{host}/charts/podinfo", "0.1.0")))
        from pyhelm.kube.client import connect

        wait_for_artifact(connect(kubeconfig=kubeconfig), "OCIRepository", "podinfo",
                          namespace)
        yield host


def drop_finalizers(env: dict[str, str], namespace: str) -> None:
    """With no controller left, the HelmReleases' finalizers would hold the namespace's
    deletion: remove them."""
    listed = subprocess.run([str(peers.kubectl_binary()), "get",
                             "helmreleases.helm.toolkit.fluxcd.io", "-n", namespace, "-o",
                             "name"], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    for name in listed.stdout.split():
        with contextlib.suppress(AssertionError):  # deleted meanwhile
            kubectl(env, "patch", name, "-n", namespace, "--type=merge", "-p",
                    '{"metadata":{"finalizers":null}}')
