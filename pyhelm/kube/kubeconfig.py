"""Kubeconfig resolution as kubectl (client-go's loading rules) does it.

``--kubeconfig`` names the only file read. Otherwise ``KUBECONFIG`` lists files (``:``
separated; missing ones are skipped) that are merged with the FIRST file winning for
each named cluster, user and context and for ``current-context``; without it,
``~/.kube/config``. Relative file references resolve against the file that holds them.
The chosen context's user may give a client certificate, a token or ``tokenFile``,
basic auth, an ``exec`` credential plugin (run here, its ``ExecCredential`` read), or a
legacy ``auth-provider`` (``pyhelm.kube.auth_provider``, the only use of the official
``kubernetes`` package).
The ``--kube-*`` flags override the result. With no kubeconfig at all and
``KUBERNETES_SERVICE_HOST`` set, the pod's service account is used.

Pure apart from reading the files named and running an exec plugin; the ``kubernetes``
package is imported only for an auth-provider user, so resolving is cheap.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhelm.errors import KubeUnreachableError

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_FILE_KEYS = {"certificate-authority", "client-certificate", "client-key", "tokenFile"}


@dataclass(frozen=True, kw_only=True)
class KubeOverrides:
    """What the user asked for on the command line or in HELM_* variables."""

    kubeconfig: str | None = None  # --kubeconfig: the one file to read
    kubeconfig_env: str | None = None  # $KUBECONFIG
    home: Path | None = None  # where ~/.kube/config lives (default: the user's home)
    service_host: str | None = None  # $KUBERNETES_SERVICE_HOST (in-cluster)
    service_port: str | None = None
    service_account: Path = SERVICE_ACCOUNT  # the pod's mounted token, CA and namespace
    context: str | None = None
    namespace: str | None = None
    token: str | None = None
    apiserver: str | None = None
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Connection:
    """Everything needed to talk to one API server."""

    server: str
    namespace: str = "default"
    context: str = ""
    ca_file: str | None = None
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    cert_file: str | None = None
    cert_data: bytes | None = None
    key_file: str | None = None
    key_data: bytes | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()


def config_files(overrides: KubeOverrides) -> list[Path]:
    """The files to merge, in precedence order (an explicit file must exist)."""
    if overrides.kubeconfig:
        path = Path(overrides.kubeconfig).expanduser()
        if not path.is_file():
            raise KubeUnreachableError(f"kubeconfig {overrides.kubeconfig}: no such file")
        return [path]
    if overrides.kubeconfig_env:
        found: list[Path] = []
        for part in overrides.kubeconfig_env.split(os.pathsep):
            path = Path(part).expanduser()
            if part and path.is_file() and path not in found:
                found.append(path)
        return found
    default = (overrides.home or Path.home()) / ".kube" / "config"
    return [default] if default.is_file() else []


def merge(files: list[Path]) -> dict[str, Any]:
    """One kubeconfig from several: the first file to define a name (or
    current-context) wins; file references become absolute."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {},
                              "current-context": ""}
    for path in files:
        raw = _read(path)
        if not merged["current-context"] and raw.get("current-context"):
            merged["current-context"] = str(raw["current-context"])
        for section, body in (("clusters", "cluster"), ("users", "user"),
                              ("contexts", "context")):
            for item in raw.get(section) or []:
                name = str(item.get("name", ""))
                if name and name not in merged[section]:
                    merged[section][name] = _absolute(dict(item.get(body) or {}), path.parent)
    return merged


def _read(path: Path) -> dict[str, Any]:
    from pyhelm import yamlio  # go-yaml's rules and limits, one-line errors

    try:
        data = yamlio.load(path.read_text()) or {}
    except OSError as exc:
        raise KubeUnreachableError(f"kubeconfig {path}: {exc.strerror}") from exc
    except yamlio.YamlSyntaxError as exc:
        raise KubeUnreachableError(f"kubeconfig {path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise KubeUnreachableError(f"kubeconfig {path}: not a mapping")
    return data


def _absolute(entry: dict[str, Any], base: Path) -> dict[str, Any]:
    for key in _FILE_KEYS & entry.keys():
        if entry[key] and not Path(entry[key]).expanduser().is_absolute():
            entry[key] = str(base / entry[key])
    command = (entry.get("exec") or {}).get("command")
    if command and os.sep in command and not Path(command).is_absolute():
        entry["exec"] = {**entry["exec"], "command": str(base / command)}
    return entry


def resolve(overrides: KubeOverrides, environ: Mapping[str, str] | None = None
            ) -> Connection:
    """The connection the kubeconfig (and the overrides) describe."""
    files = config_files(overrides)
    if not files and overrides.service_host and not overrides.apiserver:
        return _in_cluster(overrides)
    where = ":".join(map(str, files)) or "~/.kube/config"
    merged = merge(files)
    name = overrides.context or merged["current-context"]
    context: dict[str, Any] = {}
    if name:
        if name not in merged["contexts"]:
            raise KubeUnreachableError(f'kubeconfig {where}: context "{name}" does not exist')
        context = merged["contexts"][name]
    elif not overrides.apiserver:
        raise KubeUnreachableError(f"kubeconfig {where}: no current context "
                                   "(give --kube-context or --kube-apiserver)")
    cluster = merged["clusters"].get(context.get("cluster", ""), {})
    user = merged["users"].get(context.get("user", ""), {})
    server = overrides.apiserver or cluster.get("server")
    if not server:
        raise KubeUnreachableError(f'kubeconfig {where}: context "{name}" has no cluster '
                                   "server")
    auth = _user_auth(user, where, environ if environ is not None else os.environ)
    if user.get("auth-provider") and not auth["token"]:
        from pyhelm.kube.auth_provider import auth_provider_token

        auth["token"] = auth_provider_token(cluster, user, where)
    ca_file, ca_data = cluster.get("certificate-authority"), _b64(
        cluster.get("certificate-authority-data"))
    if overrides.ca_file:
        ca_file, ca_data = overrides.ca_file, None
    insecure = overrides.insecure_skip_tls_verify or bool(cluster.get("insecure-skip-tls-verify"))
    return Connection(
        server=str(server), namespace=overrides.namespace or context.get("namespace") or
        "default", context=name, ca_file=ca_file, ca_data=ca_data, insecure=insecure,
        tls_server_name=overrides.tls_server_name or cluster.get("tls-server-name"),
        **{**auth, **({"token": overrides.token} if overrides.token else {})},
        as_user=overrides.as_user or user.get("as"),
        as_groups=overrides.as_groups or tuple(user.get("as-groups") or ()))


def _user_auth(user: dict[str, Any], where: str, environ: Mapping[str, str]
               ) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "cert_file": user.get("client-certificate"),
        "cert_data": _b64(user.get("client-certificate-data")),
        "key_file": user.get("client-key"), "key_data": _b64(user.get("client-key-data")),
        "username": user.get("username"), "password": user.get("password"),
        "token": user.get("token")}
    if not auth["token"] and user.get("tokenFile"):
        try:
            auth["token"] = Path(user["tokenFile"]).read_text().strip()
        except OSError as exc:
            raise KubeUnreachableError(f"kubeconfig {where}: tokenFile: {exc}") from exc
    if user.get("exec"):
        status = run_exec_plugin(user["exec"], environ)
        if status.get("token"):
            auth["token"] = status["token"]
        if status.get("clientCertificateData"):
            auth["cert_data"] = status["clientCertificateData"].encode()
            auth["key_data"] = str(status.get("clientKeyData", "")).encode()
            auth["cert_file"] = auth["key_file"] = None
    return auth


def run_exec_plugin(spec: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Run a client-go exec credential plugin; its ``status`` (token or client cert)."""
    command = str(spec.get("command") or "")
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
    env = dict(environ)
    env.update({str(e["name"]): str(e["value"]) for e in spec.get("env") or []})
    env["KUBERNETES_EXEC_INFO"] = json.dumps({
        "apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}})
    try:
        done = subprocess.run([command, *map(str, spec.get("args") or [])], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        hint = f" ({spec['installHint']})" if spec.get("installHint") else ""
        raise KubeUnreachableError(f"exec credential plugin {command}: {exc}{hint}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        raise KubeUnreachableError(f"exec credential plugin {command} exited with "
                                   f"{done.returncode}: {last}")
    try:
        status = json.loads(done.stdout).get("status") or {}
    except (ValueError, AttributeError) as exc:
        raise KubeUnreachableError(f"exec credential plugin {command}: output is not an "
                                   f"ExecCredential: {exc}") from exc
    if not isinstance(status, dict) or not (status.get("token") or
                                            status.get("clientCertificateData")):
        raise KubeUnreachableError(f"exec credential plugin {command}: no token or client "
                                   "certificate in its status")
    return status


def _in_cluster(overrides: KubeOverrides) -> Connection:
    account = overrides.service_account

    def read(name: str) -> str:
        try:
            return (account / name).read_text().strip()
        except OSError as exc:
            raise KubeUnreachableError(f"in-cluster configuration: {exc}") from exc

    host = overrides.service_host or ""
    host = f"[{host}]" if ":" in host else host
    return Connection(
        server=f"https://{host}:{overrides.service_port or '443'}",
        namespace=overrides.namespace or (read("namespace") if (
            account / "namespace").exists() else "default"), context="in-cluster",
        ca_file=overrides.ca_file or str(account / "ca.crt"),
        insecure=overrides.insecure_skip_tls_verify, token=overrides.token or read("token"),
        tls_server_name=overrides.tls_server_name, as_user=overrides.as_user,
        as_groups=overrides.as_groups)


def _b64(value: Any) -> bytes | None:
    import base64

    return base64.b64decode(value) if value else None
