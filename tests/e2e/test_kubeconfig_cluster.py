"""Kubeconfig resolution and the global kube flags against the real local cluster,
through the installed ``pyhelm`` script: which file wins, token sources, exec plugins,
impersonation, API server / CA / TLS overrides, HELM_* variables, global flags after the
verb on a real install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

SCRIPT = Path(sys.executable).parent / "pyhelm"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HELM_", "PYHELM_")) and k != "KUBECONFIG"}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, check=False, timeout=300)


@pytest.fixture
def admin(kubeconfig: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(Path(kubeconfig).read_text())
    return config


def write(path: Path, config: dict[str, Any]) -> str:
    path.write_text(json.dumps(config))
    return str(path)


def variant(admin: dict[str, Any], *, current: str, context: str, namespace: str,
            user: dict[str, Any] | None = None, cluster: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """The admin kubeconfig with one context of our naming (and other user/cluster)."""
    return {"apiVersion": "v1", "kind": "Config", "current-context": current,
            "clusters": [{"name": "c", "cluster": cluster or admin["clusters"][0]["cluster"]}],
            "users": [{"name": "u", "user": user or admin["users"][0]["user"]}],
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u",
                                                        "namespace": namespace}}]}


@pytest.fixture
def ns_chart(tmp_path: Path) -> str:
    chart = tmp_path / "nschart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: nschart\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-cm\n")
    return str(chart)


def test_kubeconfig_list_first_file_wins(admin: dict[str, Any], namespace: str,
                                         tmp_path: Path, ns_chart: str, kube_api: Any) -> None:
    first = write(tmp_path / "a", variant(admin, current="ctx-a", context="ctx-a",
                                          namespace=namespace))
    second = write(tmp_path / "b", variant(admin, current="ctx-b", context="ctx-b",
                                           namespace="no-such-namespace-b"))
    done = run("install", "rel", ns_chart, env={"KUBECONFIG": f"{first}:{second}"})
    assert done.returncode == 0, done.stderr
    from kubernetes import client

    core = client.CoreV1Api(kube_api)
    assert core.read_namespaced_config_map("rel-cm", namespace).metadata.name == "rel-cm"
    # the other order: b's current-context, b's namespace
    other = run("list", env={"KUBECONFIG": f"{second}:{first}"})
    assert other.returncode == 0 and "rel" not in other.stdout, other.stderr
    # a context only the second file defines is found; HELM_KUBECONTEXT names it too
    mine = run("list", "--kube-context", "ctx-a", "-o", "json",
               env={"KUBECONFIG": f"{second}:{first}"})
    assert [r["name"] for r in json.loads(mine.stdout)] == ["rel"], mine.stderr
    via_env = run("list", "-q", env={"KUBECONFIG": f"{second}:{first}",
                                     "HELM_KUBECONTEXT": "ctx-a"})
    assert via_env.stdout.split() == ["rel"], via_env.stderr


@pytest.fixture
def robot_token(namespace: str, kube_api: Any) -> str:
    from kubernetes import client

    core = client.CoreV1Api(kube_api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "robot"}})
    request = core.create_namespaced_service_account_token(
        "robot", namespace, {"spec": {"expirationSeconds": 3600}})
    return str(request.status.token)


def _forbidden_as_robot(done: subprocess.CompletedProcess[str], namespace: str) -> bool:
    return done.returncode != 0 and \
        f"system:serviceaccount:{namespace}:robot" in done.stderr and \
        "Traceback" not in done.stderr


@pytest.mark.parametrize("source", ["token", "tokenFile", "exec", "flag", "HELM_KUBETOKEN"])
def test_token_sources(admin: dict[str, Any], namespace: str, tmp_path: Path, robot_token: str,
                       source: str) -> None:
    (tmp_path / "tok").write_text(robot_token)
    plugin = tmp_path / "plugin.py"
    plugin.write_text(f"#!{sys.executable}\nimport json\nprint(json.dumps({{'kind': "
                      f"'ExecCredential', 'status': {{'token': {robot_token!r}}}}}))\n")
    plugin.chmod(0o755)
    user = {"token": {"token": robot_token}, "tokenFile": {"tokenFile": "tok"},
            "exec": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                              "command": str(plugin)}}}.get(source, {"token": "bogus"})
    path = write(tmp_path / "config", variant(admin, current="x", context="x",
                                              namespace=namespace, user=user))
    args, env = ["list", "--kubeconfig", path], {}
    if source == "flag":
        args += ["--kube-token", robot_token]
    if source == "HELM_KUBETOKEN":
        env["HELM_KUBETOKEN"] = robot_token
    done = run(*args, env=env)
    assert _forbidden_as_robot(done, namespace), done.stderr


def test_impersonation_user_and_groups(kubeconfig: str, namespace: str) -> None:
    as_alice = run("list", "-n", namespace, "--kubeconfig", kubeconfig, "--kube-as-user",
                   "alice")
    assert as_alice.returncode != 0 and 'User "alice"' in as_alice.stderr, as_alice.stderr
    # both groups travel as separate headers: system:masters lets alice in
    allowed = run("list", "-n", namespace, "--kube-as-user", "alice", "--kube-as-group",
                  "team", "--kube-as-group", "system:masters", "--kubeconfig", kubeconfig)
    assert allowed.returncode == 0, allowed.stderr
    via_env = run("list", "-n", namespace, "--kubeconfig", kubeconfig,
                  env={"HELM_KUBEASUSER": "alice", "HELM_KUBEASGROUPS": "x,system:masters"})
    assert via_env.returncode == 0, via_env.stderr


def test_apiserver_ca_insecure_and_tls_server_name_overrides(
        admin: dict[str, Any], namespace: str, tmp_path: Path) -> None:
    real = admin["clusters"][0]["cluster"]
    broken = write(tmp_path / "config", variant(
        admin, current="x", context="x", namespace=namespace,
        cluster={"server": "https://127.0.0.1:1"}))
    base = ["list", "--kubeconfig", broken, "--kube-apiserver", real["server"]]
    unverified = run(*base)
    assert unverified.returncode != 0 and "certificate verify failed" in unverified.stderr
    assert run(*base, "--kube-ca-file", real["certificate-authority"]).returncode == 0
    assert run(*base, "--kube-insecure-skip-tls-verify").returncode == 0
    wrong_name = run(*base, "--kube-ca-file", real["certificate-authority"],
                     "--kube-tls-server-name", "wrong.example")
    assert wrong_name.returncode != 0 and "wrong.example" in wrong_name.stderr
    right_name = run(*base, "--kube-ca-file", real["certificate-authority"],
                     "--kube-tls-server-name", "kubernetes.default")
    assert right_name.returncode == 0, right_name.stderr
    env = {"HELM_KUBEAPISERVER": real["server"], "HELM_KUBECAFILE": real["certificate-authority"]}
    assert run("list", "--kubeconfig", broken, env=env).returncode == 0


@pytest.fixture
def fresh_namespace(namespace: str, kube_api: Any) -> Iterator[str]:
    from kubernetes import client

    name = f"{namespace}-new"[:63]
    yield name
    client.CoreV1Api(kube_api).delete_namespace(name, propagation_policy="Background")


def test_readme_install_line_with_flags_after_the_verb(kubeconfig: str, fresh_namespace: str,
                                                       kube_api: Any) -> None:
    done = run("install", "web", str(ROOT / "charts" / "demo"), "-n", fresh_namespace,
               "--create-namespace", "--wait", "--timeout", "2m",
               env={"KUBECONFIG": kubeconfig, "HELM_DRIVER": "configmap"})
    assert done.returncode == 0, done.stderr
    assert f"NAMESPACE: {fresh_namespace}" in done.stdout
    from kubernetes import client

    records = client.CoreV1Api(kube_api).list_namespaced_config_map(
        fresh_namespace, label_selector="owner=helm,name=web").items
    assert [r.metadata.name for r in records] == ["sh.helm.release.v1.web.v1"]


def test_helm_max_history_variable_and_flag(kubeconfig: str, namespace: str,
                                            ns_chart: str) -> None:
    env = {"KUBECONFIG": kubeconfig, "HELM_MAX_HISTORY": "2", "HELM_NAMESPACE": namespace}
    for _ in range(4):
        done = run("upgrade", "--install", "h", ns_chart, env=env)
        assert done.returncode == 0, done.stderr
    revisions = [line.split()[0] for line in run("history", "h", env=env).stdout.splitlines()]
    assert revisions == ["REVISION", "3", "4"]
    run("upgrade", "h", ns_chart, "--history-max", "3", env=env)
    revisions = [line.split()[0] for line in run("history", "h", env=env).stdout.splitlines()]
    assert revisions == ["REVISION", "3", "4", "5"]


def test_color_flag_and_variable_decide_diff_colors(kubeconfig: str, namespace: str) -> None:
    env = {"KUBECONFIG": kubeconfig, "HELM_NAMESPACE": namespace}
    demo = str(ROOT / "charts" / "demo")
    assert run("install", "web", demo, env=env).returncode == 0
    args = ["diff", "upgrade", "web", demo, "--set", "replicaCount=3"]
    assert "\x1b[" not in run(*args, env=env).stdout  # auto: not a terminal
    assert "\x1b[" in run(*args, "--color", "always", env=env).stdout
    assert "\x1b[" in run(*args, env={**env, "HELM_COLOR": "always"}).stdout
    assert "\x1b[" not in run(*args, "--no-color", env={**env, "HELM_COLOR": "always"}).stdout
