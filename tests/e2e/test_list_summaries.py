"""``list`` and ``history`` read pyhelm's summary annotations instead of decoding records,
and print what Helm prints for records written by pyhelm, by Helm, and by pyhelm then
rewritten by Helm (which drops the annotation) or by a tool that kept a stale one."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pyhelm.kube.client import connect
from pyhelm.release import codec
from pyhelm.release.status import Status
from pyhelm.storage.kube_objects import KubeObjectDriver
from pyhelm.storage.summary_annotation import SUMMARY_ANNOTATION
from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]


def run(tool: str, env: dict[str, str], *args: str) -> str:
    command = peers.command(tool)
    result = subprocess.run([*command, *args], env=env, capture_output=True, text=True,
                            timeout=180, check=False)
    assert result.returncode == 0, f"{tool} {' '.join(args)}: {result.stderr}"
    return result.stdout


class CountingKube:
    """The real client, counting the records read whole (GET)."""

    def __init__(self, kube: Any) -> None:
        self.kube = kube
        self.gets: list[str] = []

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> Any:
        self.gets.append(name)
        return self.kube.get(api_version, kind, name, namespace)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)


def micro(text: str) -> str:
    """Times to microseconds: pyhelm keeps no finer part of Helm's nanosecond times (a
    known difference of every pyhelm read of Helm's records, not of summaries)."""
    return re.sub(r"(\d\d:\d\d:\d\d)\.(\d+)",
                  lambda m: f"{m.group(1)}.{m.group(2)[:6]}".rstrip("0").rstrip("."), text)


def listed(tool: str, env: dict[str, str], namespace: str) -> list[dict[str, Any]]:
    rows = json.loads(micro(run(tool, env, "list", "-A", "--max", "0", "-o", "json")))
    return [r for r in rows if r["namespace"] == namespace]


def history(tool: str, env: dict[str, str], namespace: str, name: str) -> Any:
    return json.loads(micro(run(tool, env, "-n", namespace, "history", name, "-o", "json")))


@pytest.mark.parametrize("driver", ["secret", "configmap"])
def test_list_and_history_match_helm_across_writers(env: dict[str, str], namespace: str,
                                                     tmp_path: Path, kubeconfig: str,
                                                     driver: str) -> None:
    env = {**env, "HELM_DRIVER": driver}
    ours, theirs = str(ROOT / "charts/demo"), str(tmp_path / "gochart")
    run("helm", env, "create", theirs)
    ns = ("-n", namespace)
    run("pyhelm", env, *ns, "install", "py", ours)
    run("pyhelm", env, *ns, "upgrade", "py", ours, "--set", "replicaCount=2",
        "--description", "x" * 600)  # longer than a summary keeps: history decodes it
    run("helm", env, *ns, "install", "go", theirs)
    run("helm", env, *ns, "upgrade", "go", theirs)
    # pyhelm's revision 1 is superseded (rewritten) by Helm, then Helm's by pyhelm
    run("pyhelm", env, *ns, "install", "mixed", ours)
    run("helm", env, *ns, "upgrade", "mixed", theirs)
    run("pyhelm", env, *ns, "upgrade", "mixed", ours)
    run("pyhelm", env, *ns, "install", "gone", ours)
    run("helm", env, *ns, "uninstall", "gone", "--keep-history")

    kind = "Secret" if driver == "secret" else "ConfigMap"
    kube = CountingKube(connect(kubeconfig=kubeconfig, namespace=namespace))
    records = {o["metadata"]["name"]: o["metadata"]
               for o in kube.list_metadata("v1", kind, namespace, "owner=helm")}
    annotated = {n for n, m in records.items()
                 if SUMMARY_ANNOTATION in (m.get("annotations") or {})}
    assert annotated == {f"sh.helm.release.v1.{n}" for n in (
        "py.v1", "py.v2", "mixed.v2", "mixed.v3")}, "Helm's writes drop the annotation"

    assert listed("pyhelm", env, namespace) == listed("helm", env, namespace)
    for name in ("py", "go", "mixed", "gone"):
        assert history("pyhelm", env, namespace, name) == history("helm", env, namespace,
                                                                  name), name
    for flags in (("-d", "-r", "--deployed"), ("--uninstalled",), ("-f", "^(m|p)"),
                  ("--max", "2", "--offset", "1"), ("-l", "status=deployed")):
        assert (micro(run("pyhelm", env, *ns, "list", *flags, "-o", "json"))
                == micro(run("helm", env, *ns, "list", *flags, "-o", "json"))), flags

    store = KubeObjectDriver(kube, namespace, kind)
    assert sorted(s.name for s in store.latest_summaries()) == ["go", "gone", "mixed", "py"]
    # only the newest records Helm wrote last are read whole
    assert sorted(kube.gets) == ["sh.helm.release.v1.go.v2", "sh.helm.release.v1.gone.v1"]
    kube.gets.clear()
    assert [s.version for s in store.history_summaries("py")] == [1, 2]
    assert kube.gets == ["sh.helm.release.v1.py.v2"]  # its description is not in the summary
    kube.close()


def test_a_stale_summary_is_not_believed(env: dict[str, str], namespace: str,
                                         kubeconfig: str) -> None:
    """A tool that rewrote a record and its labels but kept pyhelm's annotation: the
    annotation disagrees with the labels, so the record is decoded, as Helm reads it."""
    ours = str(ROOT / "charts/demo")
    run("pyhelm", env, "-n", namespace, "install", "web", ours)
    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    obj = kube.get("v1", "Secret", "sh.helm.release.v1.web.v1", namespace)
    record = codec.decode(base64.b64decode(obj["data"]["release"]).decode())
    failed = dataclasses.replace(record, info=dataclasses.replace(
        record.info, status=Status.FAILED, description="changed elsewhere"))
    obj["data"]["release"] = base64.b64encode(codec.encode(failed).encode()).decode()
    obj["metadata"]["labels"]["status"] = "failed"
    kube.replace(obj)
    assert SUMMARY_ANNOTATION in kube.get("v1", "Secret", obj["metadata"]["name"],
                                          namespace)["metadata"]["annotations"]

    assert [r["status"] for r in listed("pyhelm", env, namespace)] == ["failed"]
    assert listed("pyhelm", env, namespace) == listed("helm", env, namespace)
    assert history("pyhelm", env, namespace, "web") == history("helm", env, namespace, "web")
    kube.close()
