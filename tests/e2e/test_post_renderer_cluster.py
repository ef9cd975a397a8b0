"""``install``/``upgrade --post-renderer`` on the real API server, Helm 4 beside pyhelm with
the same plugin directory: the same release manifests and the same labels on the objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers
from tests.cli.test_post_renderer import LABELER, write_plugin

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]
CHART = str(ROOT.parent / "shared" / "helm-charts" / "prometheus-node-exporter")


def run(env: dict[str, str], tool: str, *args: str) -> str:
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{tool} {' '.join(args)}: {done.stderr}"
    return done.stdout


def labels(env: dict[str, str], namespace: str, release: str) -> dict[str, str]:
    kubectl = str(peers.helm_binary().parent / "kubectl")
    out = json.loads(run(env, kubectl, "get", "daemonset,service,serviceaccount", "-n",
                         namespace, "-l", f"app.kubernetes.io/instance={release}", "-o",
                         "json"))
    return {f"{o['kind']}/{o['metadata']['name'].replace(release, 'R')}":
            o["metadata"]["labels"].get("team", "") for o in out["items"]}


def test_install_and_upgrade_post_rendered_as_helm(tmp_path: Path, kubeconfig: str,
                                                   namespace: str) -> None:
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "labeler", LABELER)
    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig, HELM_PLUGINS=str(plugins))
    helm, pyhelm = str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))
    for verb, colour in (("install", "blue"), ("upgrade", "green")):
        for tool, release in ((helm, "hrel"), (pyhelm, "prel")):
            run(env, tool, verb, release, CHART, "-n", namespace, "--post-renderer",
                "labeler", "--post-renderer-args", colour)
        on_cluster = labels(env, namespace, "prel")
        assert on_cluster == labels(env, namespace, "hrel")
        assert sorted(set(on_cluster.values())) == [colour] and len(on_cluster) == 3
        manifests = [run(env, tool, "get", "manifest", release, "-n", namespace)
                     .replace(release, "R") for tool, release in ((helm, "hrel"),
                                                                  (pyhelm, "prel"))]
        assert manifests[0] == manifests[1]
        assert f'team: "{colour}"' in manifests[1]
