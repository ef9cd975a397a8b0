"""install -> upgrade -> rollback -> uninstall of charts/demo on the real control plane,
through the ``pyhelm`` console script and through ``pyhelm.Client``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pyhelm
from pyhelm.errors import ReleaseError, ReleaseExistsError, ReleaseNotFoundError
from pyhelm.kube.client import connect

pytestmark = pytest.mark.cluster

DEMO = Path(__file__).resolve().parents[2] / "charts" / "demo"


def cli(kubeconfig: str, namespace: str, *args: str, check: bool = True
        ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pyhelm", "--kubeconfig", kubeconfig, "-n", namespace,
               *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"pyhelm {' '.join(args)} failed:\n{done.stderr}")
    return done


def replicas(kubeconfig: str, namespace: str, name: str) -> int:
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    return int(kube.get("apps/v1", "Deployment", name, namespace)["spec"]["replicas"])


# Readiness waits on the shared test cluster wait for kube-controller-manager, whose
# client (20 requests/s) may still be deleting the namespaces earlier tests left: in a
# full run on a loaded machine a rollback's pods took over 2 minutes to be reported
# ready. The timeout is for hangs, not speed (bench/ measures speed).
WAIT = "5m"


def test_cli_lifecycle_with_wait(kubeconfig: str, namespace: str) -> None:
    cli(kubeconfig, namespace, "install", "web", str(DEMO), "--wait", "--timeout", WAIT)
    assert replicas(kubeconfig, namespace, "web-demo") == 1
    cli(kubeconfig, namespace, "upgrade", "web", str(DEMO), "--set", "replicaCount=3",
        "--wait", "--timeout", WAIT)
    assert replicas(kubeconfig, namespace, "web-demo") == 3
    cli(kubeconfig, namespace, "rollback", "web", "1", "--wait", "--timeout", WAIT)
    assert replicas(kubeconfig, namespace, "web-demo") == 1
    history = json.loads(cli(kubeconfig, namespace, "history", "web", "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [
        (1, "superseded"), (2, "superseded"), (3, "deployed")]
    listed = json.loads(cli(kubeconfig, namespace, "list", "-o", "json").stdout)
    assert [(r["name"], r["revision"], r["status"]) for r in listed] == [
        ("web", "3", "deployed")]
    values = cli(kubeconfig, namespace, "get", "values", "web", "--revision", "2").stdout
    assert "replicaCount: 3" in values
    cli(kubeconfig, namespace, "uninstall", "web", "--wait")
    gone = cli(kubeconfig, namespace, "status", "web", check=False)
    assert gone.returncode != 0 and gone.stderr == "Error: release: not found\n"  # Helm's


def test_library_lifecycle_and_errors(kubeconfig: str, namespace: str) -> None:
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    first = client.install("lib", str(DEMO), wait=True, timeout=WAIT)
    assert (first.version, first.info.status.value) == (1, "deployed")
    with pytest.raises(ReleaseExistsError, match="still in use"):
        client.install("lib", str(DEMO))
    second = client.upgrade("lib", str(DEMO), values={"replicaCount": 2}, wait=True)
    assert second.version == 2 and client.get_values("lib") == {"replicaCount": 2}
    with pytest.raises(ReleaseNotFoundError, match="no revision 9"):
        client.rollback("lib", 9)
    with pytest.raises(ReleaseNotFoundError, match="--install"):
        client.upgrade("missing", str(DEMO))
    back = client.rollback("lib")
    assert back.version == 3 and back.config == {}
    assert [r.name for r in client.list()] == ["lib"]
    client.uninstall("lib")
    with pytest.raises(ReleaseError, match="not found"):
        client.uninstall("lib")


def test_diff_upgrade_shows_changed_added_and_removed_objects(
        kubeconfig: str, namespace: str) -> None:
    cli(kubeconfig, namespace, "install", "cmp", str(DEMO))
    # pyhelm's earlier diff, kept as --output live (the default is now helm-diff's)
    unchanged = cli(kubeconfig, namespace, "diff", "upgrade", "cmp", str(DEMO),
                    "--no-color", "--output", "live").stdout
    # the chart's migrate Job is named after the revision: the only objects that change
    assert [line for line in unchanged.splitlines() if line.endswith(")")] == [
        "Job/cmp-demo-migrate-2 (added)", "Job/cmp-demo-migrate-1 (removed)"]
    out = cli(kubeconfig, namespace, "diff", "upgrade", "cmp", str(DEMO), "--no-color",
              "--output", "live", "--set", "replicaCount=4", "--set",
              "ingress.enabled=false").stdout
    assert "Deployment/cmp-demo (changed)" in out
    assert "-  replicas: 1" in out and "+  replicas: 4" in out
    assert "Ingress/cmp-demo (removed)" in out
    assert "\x1b[" not in out


def test_list_all_namespaces_and_filters(kubeconfig: str, namespace: str) -> None:
    cli(kubeconfig, namespace, "install", "alpha", str(DEMO))
    cli(kubeconfig, namespace, "install", "beta", str(DEMO), "--set", "replicaCount=2")
    cli(kubeconfig, namespace, "uninstall", "beta", "--keep-history")
    every = json.loads(cli(kubeconfig, namespace, "list", "-A", "-o", "json").stdout)
    assert ("alpha", namespace) in {(r["name"], r["namespace"]) for r in every}
    mine = json.loads(cli(kubeconfig, namespace, "list", "-o", "json").stdout)
    # Helm 4 lists every status unless a state flag narrows it
    assert [(r["name"], r["status"]) for r in mine] == [("alpha", "deployed"),
                                                        ("beta", "uninstalled")]
    live = json.loads(cli(kubeconfig, namespace, "list", "--deployed", "-o", "json").stdout)
    assert [r["name"] for r in live] == ["alpha"]
    gone = json.loads(cli(kubeconfig, namespace, "list", "--uninstalled", "-o", "json").stdout)
    assert [(r["name"], r["status"]) for r in gone] == [("beta", "uninstalled")]
    short = cli(kubeconfig, namespace, "list", "--all", "--filter", "^b", "-q").stdout
    assert short.split() == ["beta"]
    # a name whose kept history ends uninstalled is installed again with --replace only,
    # as in Helm; the old revision is superseded
    again = cli(kubeconfig, namespace, "install", "beta", str(DEMO), check=False)
    assert again.returncode == 1 and "cannot re-use a name" in again.stderr
    cli(kubeconfig, namespace, "install", "beta", str(DEMO), "--replace")
    history = json.loads(cli(kubeconfig, namespace, "history", "beta", "-o", "json").stdout)
    assert [(h["revision"], h["status"], h["description"]) for h in history] == [
        (1, "superseded", "superseded by new release"), (2, "deployed", "Install complete")]


def test_test_runs_the_release_test_hooks(kubeconfig: str, namespace: str,
                                          tmp_path: Path) -> None:
    # a Job: kwok completes Job pods, while it leaves bare Pods running forever
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 1.0.0\n")
    (tmp_path / "templates" / "check.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-check\n"
        "  annotations:\n    helm.sh/hook: test\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers:\n        - name: c\n"
        "          image: busybox\n")
    cli(kubeconfig, namespace, "install", "probe", str(tmp_path))
    out = cli(kubeconfig, namespace, "test", "probe", "--timeout", "60s").stdout
    assert "TEST SUITE:     probe-check" in out
    assert "Phase:          Succeeded" in out
    hooks = cli(kubeconfig, namespace, "get", "hooks", "probe").stdout
    assert "name: probe-check" in hooks
