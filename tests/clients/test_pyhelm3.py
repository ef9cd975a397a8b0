"""pyhelm3 (the async Python wrapper of the ``helm`` command) pointed at ``pyhelm``, and
at Helm 4.3 in the same test: every call it makes must give the same answer.

Each case runs the same scenario with both executables, in a namespace of its own, and
compares what the client reports (revisions, statuses, chart metadata it reads with
``get all --template``, values, hooks, resources, rendered objects, errors)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pyhelm3
import pytest

from pyhelm.testing import peers

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


def _chart(root: Path) -> Path:
    chart = root / "web"
    (chart / "templates" / "tests").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 0.3.0\nappVersion: '1.2'\n"
        "description: A chart pyhelm3 reads\nkeywords: [one, two]\n"
        "maintainers: [{name: me, email: me@example.com}]\n")
    (chart / "values.yaml").write_text("greeting: hello\nreplicas: 1\n")
    (chart / "README.md").write_text("# web\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
        "  replicas: {{ .Values.replicas | quote }}\n")
    (chart / "templates" / "tests" / "probe.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-probe\n"
        "  annotations: {\"helm.sh/hook\": test}\nspec:\n  restartPolicy: Never\n"
        "  containers: [{name: c, image: busybox}]\n")
    return chart


async def _revision(revision: Any) -> dict[str, Any]:
    metadata = await revision.chart_metadata()  # `get all --template` over the release
    return {"revision": revision.revision, "status": str(revision.status),
            "description": revision.description, "notes": revision.notes,
            "chart": metadata.model_dump()}


async def _scenario(client: Any, chart_path: Path, namespace: str) -> list[Any]:
    """The calls a pyhelm3 user makes, each answer reduced to what can be compared."""
    seen: list[Any] = []
    chart = await client.get_chart(chart_path)
    seen.append(("chart", chart.metadata.name, chart.metadata.version,
                 chart.metadata.app_version, chart.metadata.keywords,
                 await chart.values(), await chart.readme()))
    objects = list(await client.template_resources(chart, "web", {"greeting": "hi"},
                                                   namespace=namespace))
    seen.append(("template", objects))
    first = await client.install_or_upgrade_release("web", chart, {"greeting": "hi"},
                                                    namespace=namespace, wait=True)
    seen.append(("install", await _revision(first), await first.values()))
    current = await client.get_current_revision("web", namespace=namespace)
    seen.append(("current", await _revision(current), [h.name for h in await current.hooks()],
                 sorted(r["metadata"]["name"] for r in await current.resources())))
    seen.append(("same values: upgrade needed?",
                 await client.should_install_or_upgrade_release(
                     current, chart, {"greeting": "hi"})))
    seen.append(("other values: upgrade needed?",
                 await client.should_install_or_upgrade_release(
                     current, chart, {"greeting": "hey"})))
    second = await client.install_or_upgrade_release("web", chart, {"greeting": "hey"},
                                                     namespace=namespace, wait=True)
    seen.append(("upgrade", await _revision(second), await second.values()))
    release = second.release
    seen.append(("history", [await _revision(r) for r in await release.history()]))
    rolled = await release.rollback(1, wait=True)
    seen.append(("rollback", await _revision(rolled), await rolled.values()))
    seen.append(("list", sorted((r.name, r.namespace) for r in await client.list_releases(
        namespace=namespace))))
    await client.uninstall_release("web", namespace=namespace, wait=True)
    try:
        await client.get_current_revision("web", namespace=namespace)
        seen.append(("after uninstall", "found"))
    except pyhelm3.errors.ReleaseNotFoundError:
        seen.append(("after uninstall", "ReleaseNotFoundError"))
    return seen


def test_pyhelm3_gets_the_same_answers_from_pyhelm_as_from_helm(
        tmp_path: Path, kubeconfig: str, kube_api: Any) -> None:
    from kubernetes import client as kube

    chart = _chart(tmp_path)
    core = kube.CoreV1Api(kube_api)
    results = {}
    for label, executable in (("helm", str(peers.helm_binary())), ("pyhelm", PYHELM)):
        namespace = f"pyhelm3-{label}"
        core.create_namespace({"metadata": {"name": namespace}})
        try:
            client = pyhelm3.Client(executable=executable, kubeconfig=Path(kubeconfig))
            results[label] = _normalized(
                asyncio.run(_scenario(client, chart, namespace)), namespace)
        finally:
            core.delete_namespace(namespace, propagation_policy="Background")
    for theirs, ours in zip(results["helm"], results["pyhelm"], strict=True):
        assert ours == theirs, ours[0]
    assert results["pyhelm"][-1] == ["after uninstall", "ReleaseNotFoundError"]


def _normalized(seen: list[Any], namespace: str) -> list[Any]:
    """Each answer as JSON, with the namespace (one per tool) masked."""
    return [json.loads(json.dumps(item, default=str).replace(namespace, "NS"))
            for item in seen]

