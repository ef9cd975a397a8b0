"""The API server goes away and comes back in the middle of an upgrade: during the
apply, and during the readiness wait. On a cluster of its own (the restart must not
disturb the other tests). Afterwards Helm and pyhelm both read the release, the next
operation succeeds and leaves nothing pending, and the live objects are exactly the
deployed revision's (no orphans, nothing missing)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.testing import peers
from pyhelm.testing.cluster import LocalCluster

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
TEMPLATE = """{% for i in range(Values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ i }}
data: {n: "{{ i }}"}
{% endfor %}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:{{ Values.tag }}"}]}
"""


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[LocalCluster]:
    with LocalCluster.start() as cluster:
        yield cluster


def _chart(root: Path) -> Path:
    chart = root / "outage"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: outage\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("count: 20\nreplicas: 1\ntag: '1.27'\n")
    (chart / "templates" / "all.yaml").write_text(TEMPLATE)
    return chart


@pytest.mark.parametrize("phase", ["apply", "wait"])
def test_upgrade_survives_an_api_server_restart(phase: str, own_cluster: LocalCluster,
                                                tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path, KUBECONFIG=str(own_cluster.kubeconfig_path))
    namespace = f"outage-{phase}"
    chart = str(_chart(tmp_path))

    def pyhelm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([PYHELM, "-n", namespace, *args], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert not check or done.returncode == 0, f"{args}: {done.stderr}"
        return done

    pyhelm("install", "app", chart, "--create-namespace", "--wait", "--timeout", "60s")
    # apply phase: 200 objects to write; wait phase: a new image to roll out
    upgrade = (["--set", "count=200"] if phase == "apply"
               else ["--set", "tag=1.28,replicas=3", "--wait", "--timeout", "90s"])
    process = subprocess.Popen([PYHELM, "-n", namespace, "upgrade", "app", chart, *upgrade],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(0.6 if phase == "apply" else 1.5)
    own_cluster.restart_apiserver(down_for=3.0)  # while the upgrade runs
    _, stderr = process.communicate(timeout=300)
    print(f"\n[{phase}] upgrade during the outage exited {process.returncode}: "
          f"{stderr.strip().splitlines()[-1] if stderr.strip() else 'ok'}")
    if process.returncode != 0:
        assert "Traceback" not in stderr and stderr.startswith("Error:")

    # the next operation finishes the job, whatever state the outage left
    pyhelm("upgrade", "app", chart, "--set", "count=30", "--wait", "--timeout", "90s")
    history = json.loads(pyhelm("history", "app", "-o", "json").stdout)
    assert history[-1]["status"] == "deployed"
    assert all(h["status"] not in ("pending-install", "pending-upgrade", "pending-rollback")
               for h in history)
    helm_history = subprocess.run([str(peers.helm_binary()), "history", "app", "-n", namespace,
                                   "-o", "json"], env=env, capture_output=True, text=True,
                                  check=True)
    assert [h["status"] for h in json.loads(helm_history.stdout)] == \
        [h["status"] for h in history]
    live = subprocess.run([str(peers.kubectl_binary()), "get", "configmaps", "-n", namespace,
                           "-l", "app.kubernetes.io/managed-by=Helm", "-o", "name"], env=env,
                          capture_output=True, text=True, check=True).stdout.split()
    assert sorted(live) == sorted(f"configmap/cm-{i}" for i in range(30))
