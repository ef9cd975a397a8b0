"""charts/pyhelm-controller, a Go-template chart that both Helm 4.3.1 and pyhelm install:
lint clean with both, its CRD byte-identical to the generated one, and installed by each
tool on the real API server (kwok runs no containers, so the objects are checked): the
Deployment's flags, RUNTIME_NAMESPACE from the downward API, ports and probes, the RBAC
rules (asked with ``kubectl auth can-i --as`` the ServiceAccount), the Lease Role, the
PodDisruptionBudget and the metrics Service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "pyhelm-controller"
CRD = "helm.toolkit.fluxcd.io_helmreleases.yaml"


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_charts_crd_is_the_generated_one() -> None:
    assert (CHART / "crds" / CRD).read_bytes() == \
        (ROOT / "pyhelm" / "controller" / "crds" / CRD).read_bytes()


@pytest.mark.helm
def test_helm_and_pyhelm_lint_the_chart() -> None:
    for argv in ([str(peers.helm_binary()), "lint", "--strict", str(CHART)],
                 [sys.executable, "-m", "pyhelm", "lint", "--strict", str(CHART)]):
        done = _run(argv)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 chart(s) failed" in done.stdout


@pytest.mark.cluster
@pytest.mark.helm
def test_helm_and_pyhelm_install_the_chart(kubeconfig: str, namespace: str,
                                           tmp_path: Path) -> None:
    from pyhelm.kube.client import connect

    env = peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig)
    kubectl = str(peers.kubectl_binary())
    # the CRD as the README applies it: both tools skip an existing crds/ entry
    done = _run([kubectl, "apply", "--server-side", "-f", str(CHART / "crds" / CRD)], env)
    assert done.returncode == 0, done.stderr
    installs = {
        "pc": [sys.executable, "-m", "pyhelm", "install", "pc", str(CHART), "-n", namespace,
               "--set", "watchLabelSelector=!sharding.fluxcd.io/key"],
        "hc": [str(peers.helm_binary()), "install", "hc", str(CHART), "-n", namespace,
               "--set", "replicas=3", "--set", "concurrent=10",
               "--set", "leaderElection.leaseDuration=40s"]}
    kube = connect(kubeconfig=kubeconfig)
    try:
        for release, argv in installs.items():
            done = _run(argv, env)
            assert done.returncode == 0, done.stdout + done.stderr
            name = f"{release}-pyhelm-controller"
            deployment = kube.get("apps/v1", "Deployment", name, namespace)
            pod = deployment["spec"]["template"]["spec"]
            container = pod["containers"][0]
            assert container["command"] == ["pyhelm", "controller"]
            args = container["args"]
            assert "--enable-leader-election=true" in args
            assert "--leader-election-release-on-cancel=true" in args
            assert "--leader-election-renew-deadline=30s" in args
            assert "--leader-election-retry-period=5s" in args
            assert "--metrics-addr=:8080" in args and "--health-addr=:9440" in args
            if release == "pc":
                assert deployment["spec"]["replicas"] == 2
                assert "--watch-label-selector=!sharding.fluxcd.io/key" in args
                assert "--leader-election-lease-duration=35s" in args
                assert "--concurrent=4" in args
            else:
                assert deployment["spec"]["replicas"] == 3
                assert not any(a.startswith("--watch-label-selector") for a in args)
                assert "--leader-election-lease-duration=40s" in args
                assert "--concurrent=10" in args
            env_vars = {e["name"]: e for e in container["env"]}
            assert env_vars["RUNTIME_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == \
                "metadata.namespace"
            assert {(p["name"], p["containerPort"]) for p in container["ports"]} == {
                ("http-prom", 8080), ("healthz", 9440)}
            assert container["livenessProbe"]["httpGet"] == {
                "path": "/healthz", "port": "healthz", "scheme": "HTTP"}
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert pod["serviceAccountName"] == name
            pdb = kube.get("policy/v1", "PodDisruptionBudget", name, namespace)
            assert pdb["spec"]["maxUnavailable"] == 1
            assert pdb["spec"]["selector"]["matchLabels"] == \
                deployment["spec"]["selector"]["matchLabels"]
            service = kube.get("v1", "Service", name, namespace)
            assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [
                ("http-prom", 8080)]
            role = kube.get("rbac.authorization.k8s.io/v1", "ClusterRole",
                            f"{namespace}-{name}"[:63].rstrip("-"))
            assert {"apiGroups": ["helm.toolkit.fluxcd.io"],
                    "resources": ["helmreleases/status"],
                    "verbs": ["get", "update", "patch"]} in role["rules"]

            account = f"system:serviceaccount:{namespace}:{name}"

            def can(*question: str, account: str = account) -> bool:
                answer = _run([kubectl, "auth", "can-i", "--as", account, *question], env)
                return answer.stdout.strip() == "yes"

            assert can("create", "leases.coordination.k8s.io", "-n", namespace)
            assert can("update", "leases.coordination.k8s.io", "-n", namespace)
            assert can("patch", "helmreleases.helm.toolkit.fluxcd.io/status", "-n", "apps")
            assert can("update", "helmreleases.helm.toolkit.fluxcd.io/finalizers", "-n",
                       "apps")
            assert can("watch", "ocirepositories.source.toolkit.fluxcd.io", "-A")
            assert can("create", "events", "-n", "apps")
            assert can("create", "secrets", "-n", "apps")
            assert can("create", "deployments.apps", "-n", "apps")  # what charts hold
        # without the cluster-admin rule: no Leases outside its namespace, no Deployments
        done = _run([str(peers.helm_binary()), "upgrade", "hc", str(CHART), "-n", namespace,
                     "--set", "rbac.clusterAdmin=false"], env)
        assert done.returncode == 0, done.stderr
        account = f"system:serviceaccount:{namespace}:hc-pyhelm-controller"
        for question, expected in ((["create", "leases.coordination.k8s.io", "-n", "apps"],
                                    "no"),
                                   (["create", "deployments.apps", "-n", "apps"], "no"),
                                   (["create", "leases.coordination.k8s.io", "-n",
                                     namespace], "yes"),
                                   (["get", "secrets", "-n", "apps"], "yes"),
                                   (["impersonate", "serviceaccounts", "-n", "apps"],
                                    "yes")):
            answer = _run([kubectl, "auth", "can-i", "--as", account, *question], env)
            assert answer.stdout.strip() == expected, (question, answer.stdout)
    finally:
        _run([sys.executable, "-m", "pyhelm", "uninstall", "pc", "-n", namespace], env)
        _run([str(peers.helm_binary()), "uninstall", "hc", "-n", namespace], env)
        kube.close()
