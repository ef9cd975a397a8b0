"""The kubeconfig resolver on its own: kubectl's merge rules, auth sources, overrides."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyhelm.errors import KubeUnreachableError
from pyhelm.kube.kubeconfig import KubeOverrides, resolve


def kubeconfig(path: Path, current: str, contexts: dict[str, tuple[str, str, str]],
               clusters: dict[str, dict[str, Any]], users: dict[str, dict[str, Any]]) -> Path:
    """contexts: name -> (cluster, user, namespace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [{"name": n, "context": {"cluster": c, "user": u, "namespace": ns}}
                     for n, (c, u, ns) in contexts.items()]}))
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    first = kubeconfig(tmp_path / "a" / "config", "ctx-a", {"ctx-a": ("shared", "ua", "ns-a")},
                       {"shared": {"server": "https://a.example:6443"}},
                       {"ua": {"token": "token-a"}})
    second = kubeconfig(tmp_path / "b" / "config", "ctx-b",
                        {"ctx-b": ("shared", "ub", "ns-b"), "only-b": ("own", "ub", "ns-ob")},
                        {"shared": {"server": "https://b.example:6443"},
                         "own": {"server": "https://own.example:6443"}},
                        {"ub": {"token": "token-b"}})
    return first, second


def test_first_file_wins_current_context_and_every_name(two_files: tuple[Path, Path]) -> None:
    a, b = two_files
    got = resolve(KubeOverrides(kubeconfig_env=f"{a}:{b}"), {})
    assert (got.server, got.namespace, got.context, got.token) == (
        "https://a.example:6443", "ns-a", "ctx-a", "token-a")
    got = resolve(KubeOverrides(kubeconfig_env=f"{b}:{a}"), {})
    assert (got.server, got.namespace, got.token) == ("https://b.example:6443", "ns-b",
                                                      "token-b")


def test_context_from_the_second_file_uses_first_file_names(two_files: tuple[Path, Path]
                                                            ) -> None:
    a, b = two_files
    got = resolve(KubeOverrides(kubeconfig_env=f"{a}:{b}", context="only-b"), {})
    assert (got.server, got.namespace, got.token) == ("https://own.example:6443", "ns-ob",
                                                      "token-b")


def test_missing_files_in_kubeconfig_list_are_skipped(two_files: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    _, b = two_files
    got = resolve(KubeOverrides(kubeconfig_env=f"{tmp_path / 'gone'}::{b}"), {})
    assert got.context == "ctx-b"


def test_explicit_kubeconfig_is_the_only_file(two_files: tuple[Path, Path], tmp_path: Path
                                              ) -> None:
    a, b = two_files
    got = resolve(KubeOverrides(kubeconfig=str(b), kubeconfig_env=str(a)), {})
    assert got.context == "ctx-b"
    with pytest.raises(KubeUnreachableError, match="no such file"):
        resolve(KubeOverrides(kubeconfig=str(tmp_path / "none")), {})
    with pytest.raises(KubeUnreachableError, match='context "nope" does not exist'):
        resolve(KubeOverrides(kubeconfig=str(b), context="nope"), {})


def test_home_kube_config_is_the_default(two_files: tuple[Path, Path], tmp_path: Path
                                         ) -> None:
    a, _ = two_files
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_bytes(a.read_bytes())
    assert resolve(KubeOverrides(home=home), {}).context == "ctx-a"


def test_relative_files_resolve_against_their_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "k" / "pki").mkdir(parents=True)
    (tmp_path / "k" / "pki" / "token").write_text("from-file\n")
    path = kubeconfig(tmp_path / "k" / "config", "x", {"x": ("c", "u", "")},
                      {"c": {"server": "https://c:1", "certificate-authority": "pki/ca.pem"}},
                      {"u": {"tokenFile": "pki/token", "client-certificate": "pki/c.pem",
                             "client-key": "/abs/k.pem"}})
    got = resolve(KubeOverrides(kubeconfig=str(path)), {})
    assert got.ca_file == str(tmp_path / "k" / "pki" / "ca.pem")
    assert got.cert_file == str(tmp_path / "k" / "pki" / "c.pem")
    assert got.key_file == "/abs/k.pem"
    assert got.token == "from-file" and got.namespace == "default"


def test_inline_data_is_decoded(tmp_path: Path) -> None:
    pem = b"-----BEGIN CERTIFICATE-----\n...\n"
    data = base64.b64encode(pem).decode()
    path = kubeconfig(tmp_path / "config", "x", {"x": ("c", "u", "n")},
                      {"c": {"server": "https://c:1", "certificate-authority-data": data,
                             "insecure-skip-tls-verify": False}},
                      {"u": {"client-certificate-data": data, "client-key-data": data}})
    got = resolve(KubeOverrides(kubeconfig=str(path)), {})
    assert got.ca_data == got.cert_data == got.key_data == pem and not got.insecure


def exec_plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    script.chmod(0o755)
    return script


def test_exec_plugin_token(tmp_path: Path) -> None:
    script = exec_plugin(tmp_path, (
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "assert info['kind'] == 'ExecCredential' and info['apiVersion'].endswith('/v1')\n"
        "print(json.dumps({'kind': 'ExecCredential', 'status': {'token': "
        "os.environ['PREFIX'] + sys.argv[1]}}))"))
    path = kubeconfig(tmp_path / "config", "x", {"x": ("c", "u", "n")},
                      {"c": {"server": "https://c:1"}},
                      {"u": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                      "command": str(script), "args": ["-secret"],
                                      "env": [{"name": "PREFIX", "value": "exec"}]}}})
    assert resolve(KubeOverrides(kubeconfig=str(path)), {"PATH": "/usr/bin"}).token == \
        "exec-secret"


def test_exec_plugin_failure_is_one_line(tmp_path: Path) -> None:
    script = exec_plugin(tmp_path, "print('login expired', file=sys.stderr); sys.exit(3)")
    path = kubeconfig(tmp_path / "config", "x", {"x": ("c", "u", "n")},
                      {"c": {"server": "https://c:1"}}, {"u": {"exec": {"command": str(script)}}})
    with pytest.raises(KubeUnreachableError) as info:
        resolve(KubeOverrides(kubeconfig=str(path)), {})
    assert str(info.value) == f"exec credential plugin {script} exited with 3: login expired"
    missing = kubeconfig(tmp_path / "c2", "x", {"x": ("c", "u", "n")},
                         {"c": {"server": "https://c:1"}},
                         {"u": {"exec": {"command": "no-such-plugin-xyz",
                                         "installHint": "install it"}}})
    with pytest.raises(KubeUnreachableError, match=r"no-such-plugin-xyz.*install it"):
        resolve(KubeOverrides(kubeconfig=str(missing)), {"PATH": str(tmp_path)})


def test_flag_overrides(two_files: tuple[Path, Path]) -> None:
    a, _ = two_files
    got = resolve(KubeOverrides(kubeconfig=str(a), apiserver="https://other:1", token="t2",
                                ca_file="/ca.pem", insecure_skip_tls_verify=True,
                                tls_server_name="name", as_user="alice",
                                as_groups=("g1", "g2"), namespace="ns-flag"), {})
    assert (got.server, got.token, got.ca_file, got.insecure, got.tls_server_name,
            got.as_user, got.as_groups, got.namespace) == (
        "https://other:1", "t2", "/ca.pem", True, "name", "alice", ("g1", "g2"), "ns-flag")


def test_apiserver_without_any_kubeconfig(tmp_path: Path) -> None:
    got = resolve(KubeOverrides(home=tmp_path, apiserver="https://s:6443", token="t"), {})
    assert (got.server, got.token, got.namespace) == ("https://s:6443", "t", "default")
    with pytest.raises(KubeUnreachableError, match="no current context"):
        resolve(KubeOverrides(home=tmp_path), {})


def test_in_cluster_service_account(tmp_path: Path) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text("sa-token\n")
    (account / "namespace").write_text("apps")
    got = resolve(KubeOverrides(home=tmp_path, service_host="10.0.0.1", service_port="443",
                                service_account=account), {})
    assert (got.server, got.token, got.namespace, got.ca_file) == (
        "https://10.0.0.1:443", "sa-token", "apps", str(account / "ca.crt"))


def test_settings_carry_kubeconfig_and_helm_variables() -> None:
    from pyhelm.settings import Settings

    settings = Settings.from_environ({
        "KUBECONFIG": "/a:/b", "HELM_KUBECONTEXT": "ctx", "HELM_KUBETOKEN": "tok",
        "HELM_KUBEASGROUPS": "g1,g2", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": "true",
        "HELM_DRIVER": "ConfigMap", "PYHELM_DRIVER": "memory", "HELM_MAX_HISTORY": "3"})
    assert (settings.kubeconfig_env, settings.kube_context, settings.kube_token,
            settings.kube_as_groups, settings.kube_insecure_skip_tls_verify, settings.driver,
            settings.max_history) == ("/a:/b", "ctx", "tok", ("g1", "g2"), True, "memory", 3)
    assert json.dumps(str(settings.repo_paths.repository_config)).endswith(
        'helm/repositories.yaml"')


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def test_oidc_auth_provider_token_through_the_official_loader(tmp_path: Path) -> None:
    token = _jwt({"iss": "https://issuer.example", "exp": 4102444800})  # year 2100
    path = kubeconfig(tmp_path / "config", "ctx", {"ctx": ("c", "u", "ns")},
                      {"c": {"server": "https://c.example:6443"}},
                      {"u": {"auth-provider": {"name": "oidc", "config": {
                          "client-id": "pyhelm", "id-token": token,
                          "idp-issuer-url": "https://issuer.example"}}}})
    connection = resolve(KubeOverrides(kubeconfig=str(path)))
    assert connection.token == token


def test_unknown_auth_provider_is_one_line(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config", "ctx", {"ctx": ("c", "u", "ns")},
                      {"c": {"server": "https://c.example:6443"}},
                      {"u": {"auth-provider": {"name": "no-such-provider", "config": {}}}})
    with pytest.raises(KubeUnreachableError, match="auth provider no-such-provider") as caught:
        resolve(KubeOverrides(kubeconfig=str(path)))
    assert "\n" not in str(caught.value)
