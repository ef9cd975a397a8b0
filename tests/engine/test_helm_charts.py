"""Helm (Go template) charts render exactly as Helm 4 renders them.

Each case runs ``helm template`` and ``pyhelm template`` (the installed console script)
side by side on the same chart and flags and compares the bytes. The charts: the shared
community corpus (whose stored ``helm template`` output must match too), Helm's own
``helm create`` scaffold, the Go-template twin of the benchmark chart, and charts made
here to reach the engine's corners (hooks, CRDs, subcharts, notes, lookup offline).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pyhelm.chart.engine_kind import JINJA2, path_engine
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "helm-charts"
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


def _cases() -> list[tuple[str, str, list[str]]]:
    with (CORPUS / "cases.tsv").open() as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    cases = []
    for chart, values_file, extra in rows:
        args = ["-f", values_file] if values_file != "-" else []
        name = Path(values_file).stem if values_file != "-" else "default"
        cases.append((f"{chart}__{name}", chart, args + extra.split()))
    return cases


def run(tool: str, args: list[str], cwd: Path, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          input=stdin, timeout=120, check=False)


@pytest.fixture(scope="module")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return peers.helm_env(tmp_path_factory.mktemp("helm-home"))


def both(args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
         ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    helm = run(str(peers.helm_binary()), args, cwd, env, stdin)
    mine = run(PYHELM, args, cwd, env, stdin)
    return helm, mine


@pytest.mark.parametrize(("case", "chart", "args"), _cases(), ids=[c[0] for c in _cases()])
def test_corpus_renders_byte_identical(case: str, chart: str, args: list[str],
                                       helm_env: dict[str, str]) -> None:
    command = ["template", "rel", chart, "-n", "ns", *args]
    helm, mine = both(command, CORPUS, helm_env)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == (CORPUS / "expected" / f"{case}.yaml").read_text()
    assert mine.stdout == helm.stdout


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory, helm_env: dict[str, str]) -> Path:
    root = tmp_path_factory.mktemp("scaffold")
    assert run(str(peers.helm_binary()), ["create", "web"], root, helm_env).returncode == 0
    (root / "web" / "crds").mkdir()
    (root / "web" / "crds" / "widgets.yaml").write_text(CRD)
    return root / "web"


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""

SCAFFOLD_FLAGS = [
    [],
    ["--set", "replicaCount=3,image.tag=1.2.3", "--set-string", "podAnnotations.n=0012"],
    ["--set", "autoscaling.enabled=true", "--kube-version", "1.27.3"],
    ["--set", "ingress.enabled=true", "--api-versions", "networking.k8s.io/v1/Ingress"],
    ["--include-crds", "--skip-tests"],
    ["--no-hooks", "--is-upgrade", "--set", "service.port=1000000"],
    ["--show-only", "templates/service.yaml", "--show-only", "templates/tests/*"],
    ["--show-only", "templates/*.yaml"],
    ["--set-json", 'podLabels={"tier":"web","n":12}', "--set-literal", "podAnnotations.x={a,b}"],
    ["--set-json", '{"replicaCount": 2}'],
    ["-n", "other", "--set", "serviceAccount.create=false"],
    ["--set", "a[1]=x", "--set", "resources.limits.cpu=100m"],
]


@pytest.mark.parametrize("flags", SCAFFOLD_FLAGS, ids=[" ".join(f) or "defaults"
                                                        for f in SCAFFOLD_FLAGS])
def test_scaffold_matches_helm_for_each_flag(flags: list[str], scaffold: Path,
                                             helm_env: dict[str, str]) -> None:
    helm, mine = both(["template", "rel", str(scaffold), *flags], scaffold.parent, helm_env)
    assert (mine.returncode, mine.stdout) == (helm.returncode, helm.stdout), mine.stderr


def test_values_files_and_set_file_from_stdin_match_helm(scaffold: Path, tmp_path: Path,
                                                        helm_env: dict[str, str]) -> None:
    (tmp_path / "a.yaml").write_text("replicaCount: 4\nbig: 1000000\nlist: [x, y, z]\n")
    (tmp_path / "b.yaml").write_text("podLabels: {from: b}\n")
    flags = ["template", "rel", str(scaffold), "-f", str(tmp_path / "a.yaml"),
             "-f", str(tmp_path / "b.yaml"), "--set", "list[1]=Q",
             "--set-file", "podAnnotations.motd=-"]
    helm, mine = both(flags, tmp_path, helm_env, stdin="hello\nworld\n")
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == helm.stdout


def test_output_dir_writes_the_same_files_as_helm(scaffold: Path, tmp_path: Path,
                                                  helm_env: dict[str, str]) -> None:
    for tool, out in ((str(peers.helm_binary()), "h"), (PYHELM, "p")):
        done = run(tool, ["template", "rel", str(scaffold), "--output-dir", str(tmp_path / out)],
                   tmp_path, helm_env)
        assert done.returncode == 0, done.stderr
    written = {p.relative_to(tmp_path / "h"): p.read_text()
               for p in (tmp_path / "h").rglob("*") if p.is_file()}
    mine = {p.relative_to(tmp_path / "p"): p.read_text()
            for p in (tmp_path / "p").rglob("*") if p.is_file()}
    assert mine == written


def _go_chart(root: Path, name: str, templates: dict[str, str], values: str = "",
              extra: str = "") -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra}")
    (chart / "values.yaml").write_text(values)
    for file, text in templates.items():
        (chart / "templates" / file).parent.mkdir(parents=True, exist_ok=True)
        (chart / "templates" / file).write_text(text)
    return chart


def test_subcharts_hooks_notes_and_capabilities_match_helm(tmp_path: Path,
                                                           helm_env: dict[str, str]) -> None:
    parent = _go_chart(tmp_path, "parent", {
        "_h.tpl": '{{- define "p.name" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end }}',
        "cm.yaml": ('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "p.name" . }}'
                    '\ndata:\n  helm: {{ .Capabilities.HelmVersion.Version | quote }}\n'
                    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n'
                    '  sub: {{ .Values.child.greeting | quote }}\n'
                    '  global: {{ .Values.global.env | quote }}\n'
                    '  rev: {{ .Release.Revision | quote }}\n'),
        "hook.yaml": ('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-h\n'
                      '  annotations:\n    "helm.sh/hook": pre-install,pre-upgrade\n'
                      '    "helm.sh/hook-weight": "-5"\nspec:\n  template:\n    spec:\n'
                      '      restartPolicy: Never\n      containers: [{name: c, image: x}]\n'),
        "NOTES.txt": "parent notes for {{ .Release.Name }}\n",
    }, values="global: {env: prod}\nchild: {greeting: hi}\n",
        extra="dependencies:\n- name: child\n  version: 0.1.0\n")
    _go_chart(parent / "charts", "child", {
        "svc.yaml": ('apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-child'
                     '\nspec:\n  ports: [{port: {{ .Values.port }}}]\n'),
        "NOTES.txt": "child notes\n",
    }, values="port: 80\ngreeting: default\n")
    for flags in ([], ["--set", "child.port=8080", "--kube-version", "v1.30.1"],
                  ["--show-only", "charts/child/templates/svc.yaml"]):
        helm, mine = both(["template", "r", str(parent), *flags], tmp_path, helm_env)
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout == helm.stdout


BAD_TEMPLATES = {
    "fail": '{{ fail "the chart refuses" }}',
    "required": 'x: {{ required "image.tag is required" .Values.image.tag }}',
    "syntax": "{{ if .Values.x }}\n",
    "missing include": '{{ include "nope" . }}',
    "bad yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n b: [\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_TEMPLATES))
def test_template_errors_are_helms_one_line(kind: str, tmp_path: Path,
                                            helm_env: dict[str, str]) -> None:
    chart = _go_chart(tmp_path, "bad", {"_h.tpl": "{{/* helpers */}}",
                                        "t.yaml": BAD_TEMPLATES[kind]})
    helm, mine = both(["template", "r", str(chart)], tmp_path, helm_env)
    assert helm.returncode == 1 and mine.returncode == 1
    assert "Traceback" not in mine.stderr
    helm_error = helm.stderr.strip().splitlines()[0]
    assert mine.stderr.strip().splitlines()[0] == helm_error


def test_schema_violation_names_the_path_not_the_value(tmp_path: Path,
                                                       helm_env: dict[str, str]) -> None:
    chart = _go_chart(tmp_path, "schemed", {"_h.tpl": "{{/* x */}}",
                                            "cm.yaml": "# {{ .Values.password }}\n"},
                      values="password: changeme\n")
    (chart / "values.schema.json").write_text(
        '{"type": "object", "properties": {"password": {"type": "integer"}}}')
    helm, mine = both(["template", "r", str(chart), "--set-string", "password=S3cr3t"],
                      tmp_path, helm_env)
    assert mine.returncode == helm.returncode == 1
    assert mine.stderr == helm.stderr
    assert "S3cr3t" not in mine.stderr
    skipped = run(PYHELM, ["template", "r", str(chart), "--skip-schema-validation",
                           "--set-string", "password=S3cr3t"], tmp_path, helm_env)
    assert skipped.returncode == 0, skipped.stderr


def test_a_chart_that_loops_forever_is_stopped(tmp_path: Path) -> None:
    chart = _go_chart(tmp_path, "loop", {
        "_h.tpl": '{{- define "loop" -}}{{ include "loop" . }}{{- end -}}',
        "t.yaml": '{{- range $i := until 100000000 }}{{ $i }}{{ end }}'})
    done = run(PYHELM, ["template", "r", str(chart)], tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Error:" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_without_the_engine_a_helm_chart_fails_with_how_to_get_it(
        tmp_path: Path, scaffold: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PYHELM_HELM_ENGINE": "", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = run(PYHELM, ["template", "r", str(scaffold)], tmp_path, env)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: this is a Helm (Go template) chart: it needs "
                                  "pyhelm's Helm engine")
    assert "Traceback" not in done.stderr
    jinja = run(PYHELM, ["template", "r", str(ROOT / "charts" / "demo")], tmp_path, env)
    assert jinja.returncode == 0, jinja.stderr


def test_a_crashing_engine_is_one_line(tmp_path: Path, scaffold: Path) -> None:
    fake = tmp_path / "helm-engine"
    fake.write_text("#!/bin/sh\necho 'panic: boom' >&2\nexit 2\n")
    fake.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYHELM_HELM_ENGINE": str(fake)}
    done = run(PYHELM, ["template", "r", str(scaffold)], tmp_path, env)
    assert done.returncode == 1
    assert done.stderr == "Error: the Helm engine failed (exit 2): panic: boom\n"


def test_lint_of_a_helm_chart_reports_helms_findings(tmp_path: Path, scaffold: Path,
                                                     helm_env: dict[str, str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(scaffold, broken)
    (broken / "templates" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.deeper }}\n")
    for chart in (scaffold, broken):
        for flags in ([], ["--strict"]):
            helm, mine = both(["lint", str(chart), *flags], tmp_path, helm_env)
            assert (mine.returncode, mine.stdout, mine.stderr) == (
                helm.returncode, helm.stdout, helm.stderr)


def test_library_values_keep_python_number_types(scaffold: Path, tmp_path: Path,
                                                 helm_env: dict[str, str]) -> None:
    """Values a Python caller passes as ints render as ints (as --set numbers do), not as
    the floats a JSON round trip would make of them (1e+06)."""
    import pyhelm

    rendered = pyhelm.Client().template(
        "rel", str(scaffold), values={"replicaCount": 1000000, "service": {"port": 8080.5}})
    helm = run(str(peers.helm_binary()), ["template", "rel", str(scaffold), "--set",
                                          "replicaCount=1000000", "--set-json",
                                          "service.port=8080.5"], tmp_path, helm_env)
    assert "replicas: 1000000" in rendered
    assert rendered == helm.stdout


def test_plain_yaml_splits_and_spaces_as_helm_4_3(tmp_path: Path,
                                                 helm_env: dict[str, str]) -> None:
    """A chart with no template syntax renders through pyhelm's Jinja2 engine; its
    documents split and keep their trailing blank lines as Helm 4.3's SplitManifests does
    (a separator is `---` at a line's start; what follows it on that line opens the next
    document; leading space is trimmed, trailing kept)."""
    chart = _go_chart(tmp_path, "plain", {
        "cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n"
                    "  x: |+\n    one\n\n\n--- # two\napiVersion: v1\nkind: ConfigMap\n"
                    "metadata:\n  name: b\n---  \n\n  \napiVersion: v1\nkind: ConfigMap\n"
                    "metadata:\n  name: c\n\n\n"),
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"})
    assert path_engine(chart) == JINJA2
    # Helm 4.3 deprecated two flags that never did anything for template: still accepted
    for flags in ([], ["--show-only", "templates/cm.yaml"],
                  ["--hide-notes", "--render-subchart-notes"]):
        helm, mine = both(["template", "r", str(chart), *flags], tmp_path, helm_env)
        assert helm.returncode == 0, helm.stderr
        assert mine.returncode == 0, mine.stderr
        assert (mine.stdout, mine.stderr) == (helm.stdout, helm.stderr)


NULL_DEFAULTS = ("a: null\nb: {c: null, d: 1}\ne: {f: null}\ng: {h: {i: null, j: 2}}\n"
                 "child: {x: null, m: 1}\n")


@pytest.mark.parametrize("user", [
    "", "b: {c: null, d: null, z: null}\na: null\n", "e: {f: 3}\ng: {h: {i: null}}\n",
    "child: {m: null, w: null}\n", "k: null\ng: null\n"])
def test_values_coalesce_nulls_as_helm_4_3(tmp_path: Path, helm_env: dict[str, str],
                                           user: str) -> None:
    """The same values through Helm's coalescing (a Go chart printing .Values) and pyhelm's
    (a Jinja2 chart printing Values): Helm 4.3 drops the chart's own null defaults, keeps
    a user null over a nested null default, and keeps nulls under a subchart's section."""
    def chart(root: Path, template: str, child_template: str) -> Path:
        made = _go_chart(root, "nulls", {"v.yaml": template}, values=NULL_DEFAULTS,
                         extra="dependencies:\n- name: child\n  version: 0.1.0\n")
        _go_chart(made / "charts", "child", {"v.yaml": child_template},
                  values="x: 5\nw: 6\nm: 7\n")
        return made

    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\ndata:\n  v: "
    go = chart(tmp_path / "go", head.format("p") + "{{ .Values | toJson | squote }}\n",
               head.format("c") + "{{ .Values | toJson | squote }}\n")
    jinja = chart(tmp_path / "jinja", head.format("p") + "{{ Values | tojson | squote }}\n",
                  head.format("c") + "{{ Values | tojson | squote }}\n")
    assert path_engine(jinja) == JINJA2
    (tmp_path / "user.yaml").write_text(user)
    outputs = []
    for tool, path in ((str(peers.helm_binary()), go), (PYHELM, jinja)):
        done = run(tool, ["template", "r", str(path), "-f", "user.yaml"], tmp_path, helm_env)
        assert done.returncode == 0, done.stderr
        outputs.append({d["metadata"]["name"]: json.loads(d["data"]["v"])
                        for d in yaml.safe_load_all(done.stdout) if d})
    assert json.dumps(outputs[1], sort_keys=True) == json.dumps(outputs[0], sort_keys=True)


def test_a_missing_dependency_is_helms_error(tmp_path: Path, helm_env: dict[str, str]) -> None:
    chart = _go_chart(tmp_path, "needs", {"cm.yaml": "{{- if .Values.x }}\n{{- end }}\n"},
                      extra="dependencies:\n- name: sub\n  version: 0.1.0\n")
    helm, mine = both(["template", "r", str(chart)], tmp_path, helm_env)
    assert helm.returncode == mine.returncode == 1
    assert "'helm dependency build'" in helm.stderr
    assert mine.stderr.splitlines()[0] == helm.stderr.splitlines()[0]


def test_enable_dns_as_helm(tmp_path: Path, helm_env: dict[str, str]) -> None:
    chart = _go_chart(tmp_path, "dns", {"cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "data:\n  ip: {{ getHostByName \"localhost\" | quote }}\n")})
    for flags in ([], ["--enable-dns"]):
        helm, mine = both(["template", "r", str(chart), *flags], tmp_path, helm_env)
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout == helm.stdout
    assert "127.0.0.1" in mine.stdout or "::1" in mine.stdout


@pytest.mark.parametrize("template", ['{{ "Web" | lower }}-{{ add 1 2 }}', "{{ .Nope.x }}",
                                      "{{ unclosed"])
def test_name_template_names_the_release_as_helm(tmp_path: Path, helm_env: dict[str, str],
                                                 template: str) -> None:
    chart = _go_chart(tmp_path, "named", {"cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")})
    helm, mine = both(["template", str(chart), "--name-template", template], tmp_path,
                      helm_env)
    assert (mine.returncode, mine.stdout) == (helm.returncode, helm.stdout)
    if helm.returncode:  # Helm adds "release name check failed: " and a log line
        assert mine.stderr.splitlines()[-1].removeprefix("Error: ") in helm.stderr
