"""``--post-renderer`` beside Helm 4.1: the same postrenderer/v1 plugin directory for both,
``template`` output compared byte for byte; Helm 3's executable form; errors; install and
upgrade on the real API server, the same release manifests and labels on the objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "helm-charts"
PYHELM = str(Path(sys.executable).with_name("pyhelm"))

LABELER = """#!/bin/sh
# after every managed-by label, the label "$1: $2" at the same indent
sed "s/^\\( *\\)app.kubernetes.io\\/managed-by: \\(Helm\\|pyhelm\\)\\$/&\\n\\1$1: \\"$2\\"/"
"""

# a Helm chart with a hook and lists indented under their keys (kyaml re-indents them)
HOOKED = {
    "Chart.yaml": "apiVersion: v2\nname: hooked\nversion: 0.1.0\n",
    "templates/cm.yaml": """# a head comment on the document
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
data:
  list: |
    a
    # text of the scalar, not a comment
 # above a key, indented less than kyaml writes it
  quoted: "yes"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-sa
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
""",
    "templates/job.yaml": """apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-hook
  annotations:
    "helm.sh/hook": pre-install
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
          # above a list item
        - name: c
          image: busybox
          args:
            - "echo"
            - 'hi'
""",
}


def write_plugin(plugins: Path, name: str, script: str, args: str = '["team"]') -> Path:
    directory = plugins / name
    directory.mkdir(parents=True)
    (directory / "plugin.yaml").write_text(
        f"apiVersion: v1\nname: {name}\nversion: 0.1.0\ntype: postrenderer/v1\n"
        "runtime: subprocess\nruntimeConfig:\n  platformCommand:\n"
        f"  - command: \"${{HELM_PLUGIN_DIR}}/run.sh\"\n    args: {args}\n")
    (directory / "run.sh").write_text(script)
    (directory / "run.sh").chmod(0o755)
    return directory


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    root = tmp_path / "plugins"
    write_plugin(root, "labeler", LABELER)
    write_plugin(root, "failing", "#!/bin/sh\ncat >/dev/null\necho broken >&2\nexit 3\n")
    write_plugin(root, "garbage", "#!/bin/sh\ncat >/dev/null\nprintf 'a: b\\n  c: [\\n'\n")
    write_plugin(root, "silent", "#!/bin/sh\ncat >/dev/null\n")
    return root


def run(tool: str, plugins: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = peers.helm_env(home, HELM_PLUGINS=str(plugins))
    return subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                          check=False, timeout=300)


def hooked_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "hooked"
    for name, text in HOOKED.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    return chart


@pytest.mark.parametrize("chart", ["metrics-server", "prometheus-node-exporter",
                                   "ingress-nginx", "hooked"])
def test_template_post_rendered_as_helm_does(tmp_path: Path, plugins: Path,
                                              chart: str) -> None:
    path = hooked_chart(tmp_path) if chart == "hooked" else CORPUS / chart
    argv = ["template", "web", str(path), "--post-renderer", "labeler",
            "--post-renderer-args", "blue"]
    helm = run(str(peers.helm_binary()), plugins, tmp_path, *argv)
    mine = run(PYHELM, plugins, tmp_path, *argv)
    assert helm.returncode == 0, helm.stderr
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout
    plain = run(PYHELM, plugins, tmp_path, "template", "web", str(path))
    assert 'team: "blue"' in mine.stdout and 'team: "blue"' not in plain.stdout
    if chart == "hooked":  # the hook went through the renderer too, and stays a hook
        hook = mine.stdout.split("# Source: hooked/templates/job.yaml")[1]
        assert 'team: "blue"' in hook and "helm.sh/hook" in hook


def test_library_post_renders_as_the_command(tmp_path: Path, plugins: Path) -> None:
    """``pyhelm.render_chart(..., post_renderer=pyhelm.PostRenderer.find(...))``: the text
    Helm prints; the renderer says it was found as a plugin."""
    import pyhelm

    chart = str(CORPUS / "metrics-server")
    renderer = pyhelm.PostRenderer.find("labeler", ["blue"], [plugins])
    assert renderer.kind == "plugin" and renderer.plugin_dir == plugins / "labeler"
    rendered = pyhelm.render_chart(chart, release_name="web", post_renderer=renderer)
    helm = run(str(peers.helm_binary()), plugins, tmp_path, "template", "web", chart,
               "--post-renderer", "labeler", "--post-renderer-args", "blue")
    assert rendered.text == helm.stdout
    assert all(o["metadata"]["labels"]["team"] == "blue" for o in rendered.objects)


def test_executable_form_and_jinja2_chart(tmp_path: Path, plugins: Path) -> None:
    """Helm 3's form: a path to an executable (no plugin of that name); the stream and the
    arguments are the plugin's, so the output is what Helm 4's plugin run prints."""
    script = plugins / "labeler" / "run.sh"
    chart = str(CORPUS / "prometheus-node-exporter")
    helm = run(str(peers.helm_binary()), plugins, tmp_path, "template", "web", chart,
               "--post-renderer", "labeler", "--post-renderer-args", "green")
    mine = run(PYHELM, plugins, tmp_path, "template", "web", chart, "--post-renderer",
               str(script), "--post-renderer-args", "team", "--post-renderer-args", "green")
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout
    failing = run(PYHELM, plugins, tmp_path, "template", "web", chart, "--post-renderer",
                  str(plugins / "failing" / "run.sh"))
    assert failing.returncode == 1 and failing.stderr == (
        "Error: error while running post render on files: post-renderer executable "
        f"{plugins / 'failing' / 'run.sh'} exited with status 3\n")
    demo = run(PYHELM, plugins, tmp_path, "template", "web", str(ROOT / "charts" / "demo"),
               "--post-renderer", "labeler", "--post-renderer-args", "red")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.count('team: "red"') == demo.stdout.count("managed-by: pyhelm") > 0


@pytest.mark.parametrize(("renderer", "helm_says"), [
    ("nope", 'invalid argument "nope" for "--post-renderer" flag: plugin: '
             "{Name:nope Type:postrenderer/v1} not found"),
    ("failing", "error while running post render on files: failed to invoke post-renderer "
                'plugin "failing": plugin "failing" exited with error'),
    ("silent", 'error while running post render on files: post-renderer "silent" produced '
               "empty output"),
    ("garbage", "error while parsing post rendered output: error parsing YAML"),
])
def test_errors_one_line_as_helm(tmp_path: Path, plugins: Path, renderer: str,
                                 helm_says: str) -> None:
    chart = str(CORPUS / "metrics-server")
    argv = ["template", "web", chart, "--post-renderer", renderer]
    helm = run(str(peers.helm_binary()), plugins, tmp_path, *argv)
    mine = run(PYHELM, plugins, tmp_path, *argv)
    assert helm.returncode == 1 and helm_says in helm.stderr
    assert mine.returncode == 1 and mine.stdout == ""
    lines = mine.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in mine.stderr, mine.stderr
    assert lines[0].startswith(f"Error: {helm_says}")


def run_ok(env: dict[str, str], tool: str, *args: str) -> str:
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{tool} {' '.join(args)}: {done.stderr}"
    return done.stdout


def labels(env: dict[str, str], namespace: str, release: str) -> dict[str, str]:
    kubectl = str(peers.kubectl_binary())
    out = json.loads(run_ok(env, kubectl, "get", "daemonset,service,serviceaccount", "-n",
                            namespace, "-l", f"app.kubernetes.io/instance={release}", "-o",
                            "json"))
    return {f"{o['kind']}/{o['metadata']['name'].replace(release, 'R')}":
            o["metadata"]["labels"].get("team", "") for o in out["items"]}


@pytest.mark.cluster
@pytest.mark.helm
def test_install_and_upgrade_post_rendered_as_helm(tmp_path: Path, kubeconfig: str,
                                                   namespace: str) -> None:
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "labeler", LABELER)
    env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig, HELM_PLUGINS=str(plugins))
    helm, pyhelm = str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))
    chart = str(CORPUS / "prometheus-node-exporter")
    for verb, colour in (("install", "blue"), ("upgrade", "green")):
        for tool, release in ((helm, "hrel"), (pyhelm, "prel")):
            run_ok(env, tool, verb, release, chart, "-n", namespace, "--post-renderer",
                   "labeler", "--post-renderer-args", colour)
        on_cluster = labels(env, namespace, "prel")
        assert on_cluster == labels(env, namespace, "hrel")
        assert sorted(set(on_cluster.values())) == [colour] and len(on_cluster) == 3
        manifests = [run_ok(env, tool, "get", "manifest", release, "-n", namespace)
                     .replace(release, "R") for tool, release in ((helm, "hrel"),
                                                                  (pyhelm, "prel"))]
        assert manifests[0] == manifests[1]
        assert f'team: "{colour}"' in manifests[1]
