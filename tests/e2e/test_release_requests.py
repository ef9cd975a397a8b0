"""What an upgrade asks of the real API server: the release's history is listed once
(the lock check, superseding and pruning work from that read and the operation's own
writes), and the objects of the deployed revision are applied without being read first.
Helm 4.3.1 checks ownership only for the objects an upgrade adds; both tools are run on
the same cases to show that the outcome is the same: an object another release adopted
is taken back, and a new object someone else owns is refused."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pyhelm
from pyhelm.kube import transport
from pyhelm.testing import peers

pytestmark = pytest.mark.cluster

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name }}
data:
  message: {{ .Values.message | quote }}
"""
EXTRA = """{{- if .Values.extra }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.extra }}
{{- end }}
"""


def _chart(root: Path) -> Path:
    """A Go-template chart (both tools render it): a ConfigMap named by a value, and an
    optional second one."""
    chart = root / "shared"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shared\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("name: cm\nmessage: one\nextra: ''\n")
    (chart / "templates" / "cm.yaml").write_text(CONFIGMAP)
    (chart / "templates" / "extra.yaml").write_text(EXTRA)
    return chart


@pytest.fixture
def requests_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    """Every request this process sends: (method, path, label selector)."""
    made: list[tuple[str, str, str]] = []
    request, stream = transport.Transport.request, transport.Transport.stream_lines

    def counted(self: Any, method: str, path: str, **kwargs: Any) -> Any:
        made.append((method, path, dict(kwargs.get("query") or ()).get("labelSelector", "")))
        return request(self, method, path, **kwargs)

    def streamed(self: Any, method: str, path: str, **kwargs: Any) -> Any:
        made.append(("WATCH", path, dict(kwargs.get("query") or ()).get("labelSelector", "")))
        return stream(self, method, path, **kwargs)

    monkeypatch.setattr(transport.Transport, "request", counted)
    monkeypatch.setattr(transport.Transport, "stream_lines", streamed)
    yield made


def test_an_upgrade_lists_the_history_once_and_applies_its_objects_unread(
        kubeconfig: str, namespace: str, tmp_path: Path,
        requests_made: list[tuple[str, str, str]]) -> None:
    chart = str(_chart(tmp_path))
    client = pyhelm.Client(kubeconfig=kubeconfig, namespace=namespace)
    client.install("web", chart)
    client.upgrade("web", chart, values={"message": "two"})
    requests_made.clear()
    done = client.upgrade("web", chart, values={"message": "three", "extra": "added"},
                          history_max=2)
    assert done.version == 3
    secrets = f"/api/v1/namespaces/{namespace}/secrets"
    lists = [r for r in requests_made if r[0] == "GET" and r[1] == secrets]
    assert lists == [("GET", secrets, "owner=helm,name=web")], requests_made
    configmaps = f"/api/v1/namespaces/{namespace}/configmaps"
    reads = [r[1] for r in requests_made if r[0] == "GET" and r[1].startswith(configmaps)]
    assert reads == [f"{configmaps}/added"], "only the object the upgrade adds is read"
    writes = sorted((m, p.rsplit("/", 1)[-1]) for m, p, _ in requests_made
                    if p.startswith(secrets) and m in ("POST", "PUT", "DELETE"))
    assert writes == [("DELETE", "sh.helm.release.v1.web.v1"), ("POST", "secrets"),
                      ("PUT", "sh.helm.release.v1.web.v2"),
                      ("PUT", "sh.helm.release.v1.web.v3")]
    assert [(r.version, str(r.info.status)) for r in client.history("web")] == \
        [(2, "superseded"), (3, "deployed")]
    live = client.config.kube.get("v1", "ConfigMap", "cm", namespace)
    assert live["data"] == {"message": "three"}


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


@pytest.mark.helm
@pytest.mark.parametrize("tool", ["helm", "pyhelm"])
def test_ownership_is_checked_for_the_objects_an_upgrade_adds_as_helm_does(
        tool: str, namespace: str, kubeconfig: str, tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig,
                         PYHELM_COMMAND_SERVER="0")
    command = peers.command(tool)
    chart = str(_chart(tmp_path))
    kubectl = [str(peers.kubectl_binary()), "-n", namespace]

    def owner(name: str) -> str:
        got = _run([*kubectl, "get", "configmap", name, "-o", "json"], env)
        assert got.returncode == 0, got.stderr
        annotations = json.loads(got.stdout)["metadata"].get("annotations") or {}
        return str(annotations.get("meta.helm.sh/release-name"))

    first = _run([*command, "install", "a", chart, "-n", namespace], env)
    assert first.returncode == 0, first.stderr
    # release b adopts release a's ConfigMap
    adopted = _run([*command, "install", "b", chart, "-n", namespace, "--take-ownership"],
                   env)
    assert adopted.returncode == 0, adopted.stderr
    assert owner("cm") == "b"
    # a's upgrade applies its own object as it is, taking it back (no ownership check)
    upgraded = _run([*command, "upgrade", "a", chart, "-n", namespace,
                     "--set", "message=two"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert owner("cm") == "a"
    # an object the upgrade adds is checked: b's is refused
    _run([*kubectl, "create", "configmap", "elsewhere"], env)
    refused = _run([*command, "upgrade", "a", chart, "-n", namespace,
                    "--set", "extra=elsewhere"], env)
    assert refused.returncode != 0
    assert "elsewhere" in refused.stderr
    assert "meta.helm.sh/release-name" not in _run(
        [*kubectl, "get", "configmap", "elsewhere", "-o", "json"], env).stdout
