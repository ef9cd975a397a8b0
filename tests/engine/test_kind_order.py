"""Kind order, hooks and their annotations as Helm 4 sorts and reads them, compared with
``helm template`` on the same objects (a Go chart and its Jinja2 twin)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import pyhelm
from pyhelm.engine.manifest import Manifest, as_hook, uninstall_order
from pyhelm.testing import peers
from tests.engine.test_helm_charts import _go_chart, both, run

pytestmark = pytest.mark.helm
PYHELM = str(Path(sys.executable).with_name("pyhelm"))

OBJECTS = [
    ("Zebra", "z1", None), ("Service", "s1", None), ("Apple", "a1", None),
    ("ConfigMap", "c1", None), ("Zebra", "z0", None), ("Deployment", "d1", None),
    ("Job", "h-b", "pre-install,POST-upgrade|5"), ("Job", "h-a", "Pre-Install|5"),
    ("ConfigMap", "h-c", "pre-install|abc"), ("Pod", "h-t", "test-success,unknown|-1"),
]


def _document(kind: str, name: str, hook: str | None) -> str:
    lines = [f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}"]
    if hook:
        events, weight = hook.split("|")
        lines.append(f'  annotations:\n    "helm.sh/hook": "{events}"\n'
                     f'    "helm.sh/hook-weight": "{weight}"')
    return "\n".join(lines)


def _chart(root: Path, name: str, helpers: str) -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "templates" / helpers).write_text("")
    (chart / "templates" / "all.yaml").write_text(
        "\n---\n".join(_document(*o) for o in OBJECTS) + "\n")
    return chart


def test_template_order_of_objects_and_hooks_is_helms(tmp_path: Path) -> None:
    go_chart = _chart(tmp_path, "order", "_h.tpl")
    jinja = _chart(tmp_path / "j", "order", "_h.j2")
    helm = subprocess.run([str(peers.helm_binary()), "template", "r", str(go_chart)],
                          capture_output=True, text=True, check=True,
                          env=peers.helm_env(tmp_path))
    for chart in (go_chart, jinja):
        mine = subprocess.run([PYHELM, "template", "r", str(chart)], capture_output=True,
                              text=True, check=False)
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout == helm.stdout


def test_subchart_objects_come_first_within_a_kind_as_in_helm(tmp_path: Path) -> None:
    """Helm reads rendered templates in path order: ``p/charts/sub/...`` before
    ``p/templates/...``, for resources and hooks alike."""
    charts = []
    for root, helpers in ((tmp_path, "_h.tpl"), (tmp_path / "j", "_h.j2")):
        chart = _chart(root, "p", helpers)
        sub = _chart(chart / "charts", "sub", helpers)
        (sub / "templates" / "all.yaml").write_text("\n---\n".join(
            _document(kind, f"sub-{name}", hook) for kind, name, hook in OBJECTS) + "\n")
        charts.append(chart)
    helm = subprocess.run([str(peers.helm_binary()), "template", "r", str(charts[0])],
                          capture_output=True, text=True, check=True,
                          env=peers.helm_env(tmp_path))
    for chart in charts:
        mine = subprocess.run([PYHELM, "template", "r", str(chart)], capture_output=True,
                              text=True, check=False)
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout == helm.stdout


def _manifest(kind: str) -> Manifest:
    return Manifest(template="t", content="", obj={}, api_version="v1", kind=kind,
                    name=kind.lower(), namespace=None)


def test_uninstall_follows_helms_own_list() -> None:
    kinds = ["Namespace", "Deployment", "Service", "ConfigMap", "Ingress", "Widget",
             "ValidatingWebhookConfiguration", "Job", "Apple"]
    assert [m.kind for m in uninstall_order(_manifest(k) for k in kinds)] == [
        "ValidatingWebhookConfiguration", "Ingress", "Service", "Job", "Deployment",
        "ConfigMap", "Namespace", "Apple", "Widget"]


@pytest.mark.parametrize(("weight", "expected"), [
    ("5", 5), ("+5", 5), ("-3", -3), (" 5", 0), ("5 ", 0), ("1_0", 0), ("٣", 0),
    ("9223372036854775808", 0), ("abc", 0), ("", 0)])
def test_hook_weight_is_read_as_go_atoi_reads_it(weight: str, expected: int) -> None:
    manifest = Manifest(template="t", content="", obj={"metadata": {"annotations": {
        "helm.sh/hook": "pre-install", "helm.sh/hook-weight": weight}}},
        api_version="v1", kind="Job", name="j", namespace=None)
    hook = as_hook(manifest)
    assert hook is not None and hook.weight == expected


KINDS = ["Namespace", "ConfigMap", "Secret", "Service", "Deployment", "Job", "Pod",
         "Ingress", "Zebra", "Apple", "Widget", "CustomResourceDefinition"]
HOOKS = ["pre-install", "post-install,pre-upgrade", "Test-Success", "test", "bogus",
         "pre-delete, POST-DELETE", "", "pre-rollback,nope"]


def _many_documents(seed: int, count: int) -> str:
    """Documents of listed and unlisted kinds, hooks known and not, weights read and
    not, delete policies, documents without metadata or with unrelated annotations."""
    chooser = random.Random(seed)
    documents = []
    for index in range(count):
        kind = chooser.choice(KINDS)
        shape = chooser.randrange(6)
        if shape == 0:
            documents.append(f"apiVersion: v1\nkind: {kind}")
            continue
        head = f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: o{seed}-{index}"
        if shape == 1:
            head += "\n  annotations:\n    team: a"
        elif shape >= 3:
            weight = chooser.choice(["3", "-2", "x", "", "10"])
            policy = chooser.choice(["", "\n    helm.sh/hook-delete-policy: "
                                     "Before-Hook-Creation, hook-succeeded"])
            head += (f"\n  annotations:\n    helm.sh/hook: \"{chooser.choice(HOOKS)}\""
                     f"\n    helm.sh/hook-weight: \"{weight}\"{policy}")
        documents.append(head + f"\ndata:\n  index: \"{index}\"")
    return "\n---\n".join(documents) + "\n"


def _hooks(install_json: str) -> list[dict[str, object]]:
    return [{key: hook.get(key) for key in ("name", "kind", "path", "manifest", "events",
                                            "weight", "delete_policies")}
            for hook in json.loads(install_json).get("hooks") or []]


def test_thousands_of_documents_in_many_files_sort_and_hook_as_helms(tmp_path: Path) -> None:
    """The engine reads the documents' heads on every core; what it makes of them is
    Helm's: the order of objects and hooks, which hooks are kept, their events, weights
    and delete policies."""
    chart = _go_chart(tmp_path, "many", {
        "_helpers.tpl": "", "b.yaml": _many_documents(1, 1500),
        "a.yaml": _many_documents(2, 700), "sub/c.yaml": _many_documents(3, 300),
        "_partial.yaml": "kind: [broken\n", "blank.yaml": "\n  \n",
        "only-separators.yaml": "---\n---\n"})
    env = peers.helm_env(tmp_path)
    helm, mine = both(["template", "r", str(chart)], tmp_path, env)
    assert helm.returncode == 0, helm.stderr
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout
    install = ["install", "r", str(chart), "--dry-run=client", "-o", "json"]
    helm, mine = both(install, tmp_path, env)
    assert helm.returncode == 0, helm.stderr
    assert mine.returncode == 0, mine.stderr
    assert _hooks(mine.stdout) == _hooks(helm.stdout)
    assert json.loads(mine.stdout)["manifest"] == json.loads(helm.stdout)["manifest"]


def test_the_first_unreadable_document_is_the_one_named(tmp_path: Path) -> None:
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [a\n"
    chart = _go_chart(tmp_path, "many", {
        "_helpers.tpl": "", "a.yaml": _many_documents(4, 400),
        "m.yaml": _many_documents(5, 50) + "---\n" + bad,
        "z.yaml": bad + "---\n" + _many_documents(6, 400),
        "k.yaml": "apiVersion: v1\nkind: 5\n"})
    helm, mine = both(["template", "r", str(chart)], tmp_path, peers.helm_env(tmp_path))
    assert helm.returncode == 1 and mine.returncode == 1
    assert "Traceback" not in mine.stderr
    assert _error_line(mine.stderr) == _error_line(helm.stderr)
    assert "templates/m.yaml" in _error_line(mine.stderr)


def _error_line(stderr: str) -> str:
    """Helm logs the hooks it skips before its error."""
    return next(line for line in stderr.splitlines() if line.startswith("Error:"))


@pytest.mark.parametrize("kind", ["go", "jinja2"])
def test_a_deprecated_chart_and_hooks_left_out_are_logged_as_helm_logs_them(
        kind: str, tmp_path: Path) -> None:
    """Helm 4 logs both on standard error, for template and install alike."""
    documents = ('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n'
                 '    helm.sh/hook: bogus,pre-install\n---\n'
                 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  annotations:\n'
                 '    helm.sh/hook: " Nope "\n---\n'
                 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n')
    go_chart = _go_chart(tmp_path / "go", "many", {"_h.tpl": "", "all.yaml": documents},
                         extra="deprecated: true\n")
    chart = go_chart if kind == "go" else _go_chart(
        tmp_path / "j", "many", {"_h.j2": "", "all.yaml": documents},
        extra="deprecated: true\n")
    env = peers.helm_env(tmp_path)
    for args in (["template", "r"], ["install", "r", "--dry-run=client"]):
        helm = run(str(peers.helm_binary()), [*args, str(go_chart)], tmp_path, env)
        mine = run(PYHELM, [*args, str(chart)], tmp_path, env)
        assert helm.returncode == 0 and mine.returncode == 0, mine.stderr
        assert helm.stderr.splitlines() == [
            'level=WARN msg="this chart is deprecated"',
            'level=INFO msg="skipping unknown hooks" hookTypes=bogus,pre-install',
            'level=INFO msg="skipping unknown hooks" hookTypes=" Nope "']
        assert mine.stderr == helm.stderr


def test_a_library_caller_is_told_by_python_warnings(tmp_path: Path) -> None:
    chart = _go_chart(tmp_path, "many", {
        "_h.tpl": "", "a.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                                "  annotations:\n    helm.sh/hook: bogus\n"},
        extra="deprecated: true\n")
    with pytest.warns(pyhelm.Notice) as told:
        assert not pyhelm.render_chart(str(chart)).manifests
    assert [(type(n.message), str(n.message)) for n in told] == [
        (pyhelm.ChartDeprecated, "this chart is deprecated"),
        (pyhelm.UnknownHookSkipped, "skipping unknown hooks")]
