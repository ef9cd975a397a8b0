"""Release output shapes beside Helm 4: a release installed and upgraded by pyhelm on the
local cluster is read by both tools, and what they print must be byte-identical (or,
for ``status -o json``, equal apart from live objects Helm adds and pyhelm does not)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing.peers import helm_binary, helm_env

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "pyhelm"


def tools(tmp_path: Path, kubeconfig: str) -> tuple[Any, Any]:
    env = helm_env(tmp_path, KUBECONFIG=kubeconfig)
    env = {k: v for k, v in env.items() if not k.startswith("PYHELM_")}

    def helm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(helm_binary()), *args], capture_output=True, text=True,
                              env=env, check=False, timeout=300)

    def pyhelm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env,
                              check=False, timeout=300)

    return helm, pyhelm


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, kubeconfig: str,
           kube_api: Any) -> Any:
    """One release, two revisions, installed by pyhelm in a namespace of its own."""
    from kubernetes import client

    tmp = tmp_path_factory.mktemp("outputs")
    helm, pyhelm = tools(tmp, kubeconfig)
    namespace = "release-outputs"
    core = client.CoreV1Api(kube_api)
    core.create_namespace({"metadata": {"name": namespace}})
    demo = str(ROOT / "charts" / "demo")
    for args in (["install", "web", demo, "--wait", "--wait-for-jobs"],
                 ["upgrade", "web", demo, "--set", "replicaCount=2", "--wait",
                  "--wait-for-jobs"]):
        done = pyhelm(*args, "-n", namespace)
        assert done.returncode == 0, done.stderr
    yield helm, pyhelm, namespace
    core.delete_namespace(namespace, propagation_policy="Background")


READERS = [
    "list", "list -o json", "list -o yaml", "list --no-headers", "list -q",
    "list --time-format 2006-01-02T15:04", "list -o json --time-format 2006",
    "history web", "history web -o json", "history web -o yaml", "history web --max 1",
    "get values web", "get values web -o json", "get values web -o yaml",
    "get values web -a", "get values web -a -o json", "get values web --revision 1",
    "get values web --revision 1 -o json", "get manifest web", "get manifest web --revision 1",
    "get hooks web", "get notes web", "get metadata web", "get metadata web -o json",
    "get metadata web -o yaml", "get all web", "get all web --revision 1",
]


@pytest.mark.parametrize("command", READERS)
def test_reading_a_release_prints_what_helm_prints(shared: Any, command: str) -> None:
    helm, pyhelm, namespace = shared
    theirs = helm(*command.split(), "-n", namespace)
    ours = pyhelm(*command.split(), "-n", namespace)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_status_structured_output_matches_helm(shared: Any, fmt: str) -> None:
    import yaml

    helm, pyhelm, namespace = shared
    load = json.loads if fmt == "json" else yaml.safe_load

    def names(objects: list[Any]) -> list[Any]:
        return [sorted(p["metadata"]["name"] for p in o["items"]) if o["kind"] == "PodList"
                else o["metadata"]["name"] for o in objects]

    for _ in range(10):  # live state (a Pod still going away) may change between the calls
        theirs = load(helm("status", "web", "-n", namespace, "-o", fmt).stdout)
        ours = load(pyhelm("status", "web", "-n", namespace, "-o", fmt).stdout)
        their_live, our_live = theirs["info"].pop("resources"), ours["info"].pop("resources")
        their_names = {k: names(v) for k, v in their_live.items()}
        our_names = {k: names(v) for k, v in our_live.items()}
        if our_names == their_names:
            break
        time.sleep(1)
    assert ours == theirs
    assert our_names == their_names
    assert "v1/Pod(related)" in our_live


def status_parts(text: str) -> tuple[str, dict[str, str], str]:
    """Head, RESOURCES sections (AGE cells masked) and NOTES of a status text."""
    head, _, rest = text.partition("RESOURCES:\n")
    body, _, notes = rest.rpartition("\n\nNOTES:\n")
    sections = {}
    for block in filter(str.strip, body.split("\n\n")):
        title, _, table = block.strip("\n").partition("\n")
        sections[title] = re.sub(r"\S+$", "AGE", table, flags=re.MULTILINE)
    return head, sections, notes


def test_status_text_matches_helm_but_for_the_order_of_kinds(shared: Any) -> None:
    """Helm prints the kinds in Go's random map order; pyhelm sorts them."""
    helm, pyhelm, namespace = shared
    for _ in range(10):  # live state (a Pod still going away) may change between the calls
        theirs = status_parts(helm("status", "web", "-n", namespace).stdout)
        ours = status_parts(pyhelm("status", "web", "-n", namespace).stdout)
        if ours == theirs:
            break
        time.sleep(1)
    assert ours == theirs
    assert "==> v1/Pod(related)" in ours[1]
    assert list(ours[1]) == sorted(ours[1])


@pytest.fixture
def static_chart(tmp_path: Path) -> str:
    """A chart without template directives: Helm and pyhelm render it alike."""
    chart = tmp_path / "static"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text('apiVersion: v2\nname: static\nversion: 0.2.0\n'
                                      'appVersion: "3.1"\n')
    (chart / "values.yaml").write_text("key: value\n")
    (chart / "templates" / "cm.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: static-cm\ndata:\n  a: "1"\n')
    (chart / "templates" / "NOTES.txt").write_text("Static notes.\n\nLine two.\n")
    return str(chart)


def test_install_upgrade_uninstall_print_what_helm_prints(
        tmp_path: Path, kubeconfig: str, namespace: str, static_chart: str) -> None:
    helm, pyhelm = tools(tmp_path, kubeconfig)
    steps = [["install", "s", static_chart], ["upgrade", "s", static_chart],
             ["upgrade", "s", static_chart, "--set", "key=other"], ["uninstall", "s"],
             ["upgrade", "--install", "s", static_chart], ["uninstall", "s"],
             ["uninstall", "s", "--ignore-not-found"]]
    for tool in (helm, pyhelm):
        outputs = []
        for step in steps:
            done = tool(*step, "-n", namespace)
            assert done.returncode == 0, (step, done.stderr)
            outputs.append(re.sub(r"LAST DEPLOYED: .*", "LAST DEPLOYED: X", done.stdout))
        if tool is helm:
            expected = outputs
    assert outputs == expected


def test_uninstall_cascade_orphan_keeps_the_pods(tmp_path: Path, kubeconfig: str,
                                                 namespace: str, kube_api: Any) -> None:
    from kubernetes import client

    _, pyhelm = tools(tmp_path, kubeconfig)
    done = pyhelm("install", "web", str(ROOT / "charts" / "demo"), "-n", namespace, "--wait")
    assert done.returncode == 0, done.stderr
    bad = pyhelm("uninstall", "web", "-n", namespace, "--cascade", "sideways")
    assert bad.returncode == 1 and "sideways" in bad.stderr
    done = pyhelm("uninstall", "web", "-n", namespace, "--cascade", "orphan")
    assert done.returncode == 0, done.stderr
    apps = client.AppsV1Api(kube_api)
    assert not apps.list_namespaced_deployment(namespace).items
    # the orphaned ReplicaSet of the Deployment stays behind, owner reference removed
    left = [rs.metadata.name for rs in apps.list_namespaced_replica_set(namespace).items
            if rs.metadata.name.startswith("web-demo-") and rs.metadata.name !=
            "web-demo-workers"]
    assert left, "orphan cascade should leave the Deployment's ReplicaSet"


def test_list_filters_on_the_cluster(tmp_path: Path, kubeconfig: str, namespace: str,
                                     static_chart: str) -> None:
    helm, pyhelm = tools(tmp_path, kubeconfig)
    (Path(static_chart) / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-cm\n")
    for name in ("b-rel", "a-rel", "c-rel"):
        done = pyhelm("install", name, static_chart, "-n", namespace)
        assert done.returncode == 0, done.stderr
    assert pyhelm("uninstall", "c-rel", "--keep-history", "-n", namespace).returncode == 0
    for args in (["-d"], ["-r"], ["-d", "-r"], ["--offset", "1", "-m", "1"],
                 ["-l", "name=a-rel"], ["-l", "name!=a-rel"], ["--uninstalled"],
                 ["--deployed", "--uninstalled"], ["--uninstalled", "-l", "status=uninstalled"]):
        theirs = helm("list", "-q", "-n", namespace, *args)
        ours = pyhelm("list", "-q", "-n", namespace, *args)
        assert theirs.returncode == 0, theirs.stderr
        assert ours.stdout == theirs.stdout, args


def test_rollback_revision_is_recorded_and_read_as_helm_4_3(tmp_path: Path, kubeconfig: str,
                                                           namespace: str,
                                                           static_chart: str) -> None:
    """Helm 4.3 records the revision a rollback restored (`info.rollback_revision`) and
    prints it in `history -o json|yaml` and `history --show-rollback-revision`; each tool
    reads the other's rollback records."""
    helm, pyhelm = tools(tmp_path, kubeconfig)
    steps = [(pyhelm, ["install", "rb", static_chart]),
             (pyhelm, ["upgrade", "rb", static_chart, "--set", "key=two"]),
             (pyhelm, ["rollback", "rb", "1"]),  # revision 3 restores 1
             (helm, ["rollback", "rb", "2"]),  # revision 4 restores 2
             (pyhelm, ["rollback", "rb", "3", "--description", "back to one, by pyhelm"])]
    for tool, args in steps:
        done = tool(*args, "-n", namespace)
        assert done.returncode == 0, done.stderr
    for args in (["--show-rollback-revision"], ["-o", "json"], ["-o", "yaml"], []):
        theirs = helm("history", "rb", "-n", namespace, *args)
        ours = pyhelm("history", "rb", "-n", namespace, *args)
        assert theirs.returncode == 0, theirs.stderr
        assert ours.stdout == theirs.stdout, args
    rows = json.loads(pyhelm("history", "rb", "-n", namespace, "-o", "json").stdout)
    assert [r.get("rollback_revision") for r in rows] == [None, None, 1, 2, 3]
    assert rows[-1]["description"] == "back to one, by pyhelm"
    too_long = ["rollback", "rb", "1", "-n", namespace, "--description", "é" * 257]
    theirs, ours = helm(*too_long), pyhelm(*too_long)
    assert theirs.returncode == ours.returncode == 1
    assert ours.stderr == theirs.stderr == "Error: description must be 256 characters or " \
                                           "less, got 257\n"
    replaced = pyhelm("rollback", "rb", "2", "--force-replace", "-n", namespace)
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(helm("history", "rb", "-n", namespace, "-o", "json").stdout)[-1][
        "rollback_revision"] == 2


def test_uninstall_leaves_objects_the_release_does_not_own_as_helm_4_3(
        tmp_path: Path, kubeconfig: str, kube_api: Any) -> None:
    """Helm 4.3 deletes only objects whose managed-by label and release annotations name
    the release; it lists the rest (and the ones kept by policy) and logs a warning for
    each. The same release is set up twice, one uninstalled by each tool."""
    from kubernetes import client

    helm, pyhelm = tools(tmp_path, kubeconfig)
    chart = tmp_path / "owned"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: owned\nversion: 0.1.0\n")
    cms = {"a-cm": "", "b-keep": "  annotations:\n    helm.sh/resource-policy: keep\n",
           "c-relabelled": "", "d-adopted": "", "e-gone": ""}
    (chart / "templates" / "cms.yaml").write_text("".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{extra}"
        for name, extra in cms.items()))
    core = client.CoreV1Api(kube_api)
    outputs = []
    for tool, namespace in ((helm, "own-by-helm"), (pyhelm, "own-by-pyhelm")):
        core.create_namespace({"metadata": {"name": namespace}})
        try:
            done = pyhelm("install", "own", str(chart), "-n", namespace)
            assert done.returncode == 0, done.stderr
            core.patch_namespaced_config_map("c-relabelled", namespace, {"metadata": {
                "labels": {"app.kubernetes.io/managed-by": "someone-else"}}})
            core.patch_namespaced_config_map("d-adopted", namespace, {"metadata": {
                "annotations": {"meta.helm.sh/release-name": "other"}}})
            core.delete_namespaced_config_map("e-gone", namespace)
            dry = tool("uninstall", "own", "-n", namespace, "--dry-run")
            done = tool("uninstall", "own", "-n", namespace)
            assert done.returncode == 0, done.stderr
            left = sorted(c.metadata.name for c in core.list_namespaced_config_map(
                namespace).items if c.metadata.name != "kube-root-ca.crt")
            outputs.append([(r.returncode, r.stdout, r.stderr.replace(namespace, "NS"))
                            for r in (dry, done)] + [left])
        finally:
            core.delete_namespace(namespace, propagation_policy="Background")
    theirs, ours = outputs
    assert ours == theirs
    assert ours[-1] == ["b-keep", "c-relabelled", "d-adopted"]
    assert "2 resource(s) were not deleted because they are not owned" in ours[1][1]


RELEASE_TEMPLATE = """{{- with .Release.Chart.Metadata }}name: {{ printf "%q" .Name }}
version: {{ .Version }} api: {{ .APIVersion }} type: {{ printf "%T" .Type }}
{{- range .Keywords }} kw={{ . }}{{ end }}
{{- range .Maintainers }} maintainer={{ .Name }}{{ end }}
{{- end }}
status={{ .Release.Info.Status }} rev={{ .Release.Version }} ns={{ .Release.Namespace }}
first={{ .Release.Info.FirstDeployed.Year }} desc={{ .Release.Info.Description | printf "%q" }}
config={{ .Release.Config }} hooks={{ len .Release.Hooks }}
"""


@pytest.mark.parametrize("args", [["--template", RELEASE_TEMPLATE],
                                  ["--template", RELEASE_TEMPLATE, "--revision", "1"],
                                  ["--template", "{{ .Release.Name }}"],
                                  ["--template", "{{ .Release.Nope }}"],
                                  ["--template", "{{ .Release.Name "]])
def test_get_all_template_runs_over_the_release_as_helm(shared: Any, args: list[str]) -> None:
    """`get all --template`: Go's text/template over Helm's own release type (what
    pyhelm3 reads chart metadata with), errors and partial output included."""
    helm, pyhelm, namespace = shared
    theirs = helm("get", "all", "web", "-n", namespace, *args)
    ours = pyhelm("get", "all", "web", "-n", namespace, *args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode, theirs.stdout, theirs.stderr)


@pytest.mark.parametrize("command", [
    "status nope", "status nope -o json", "history nope", "get all nope",
    "get values nope", "rollback nope 1", "uninstall nope", "test nope",
    "upgrade nope {chart}", "status web --revision 99", "get manifest web --revision 99",
    "rollback web 99"])
def test_missing_releases_and_revisions_are_helms_errors(shared: Any, static_chart: str,
                                                         command: str) -> None:
    """Programs that drive helm match these texts (pyhelm3: "release: not found")."""
    helm, pyhelm, namespace = shared
    words = command.format(chart=static_chart).split()
    theirs, ours = helm(*words, "-n", namespace), pyhelm(*words, "-n", namespace)
    assert theirs.returncode == ours.returncode == 1
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr)
