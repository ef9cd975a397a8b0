"""``pyhelm diff`` (helm-diff's command line, built in) on the real API server, beside
Helm 4.3: a release installed by Helm is diffed by pyhelm, and the expected output is
what helm-diff makes of what it reads through Helm (``helm get manifest``, ``helm get
hooks``, ``helm get values --all``, ``helm template --dry-run=server --is-upgrade``, run
here as helm-diff runs them) put through helm-diff's report (its formatting is held to
helm-diff's own expectations in tests/action/test_diff_report.py). Exit codes and errors
are helm-diff's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyhelm.action.diff_manifests import parse
from pyhelm.action.diff_report import ReportOptions, compare, render
from pyhelm.helm_reference import HELM_DIFF_VERSION

from .plugin_fixtures import PYHELM, helm, write

pytestmark = [pytest.mark.cluster, pytest.mark.helm]

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: hello\nversion: 0.1.0\n",
    "values.yaml": "greeting: hi\npassword: s3cret\nreplicas: 1\nextra: false\n",
    "templates/cm.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: "{{ .Values.replicas }}"
  upgrade: "{{ .Release.IsUpgrade }}"
""",
    "templates/extra.yaml": """{{- if .Values.extra }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-extra
{{- end }}
""",
    "templates/secret.yaml": """apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
type: Opaque
data:
  password: {{ .Values.password | b64enc }}
  user: {{ "admin" | b64enc }}
""",
    "templates/hook.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hook
  annotations:
    "helm.sh/hook": pre-upgrade
data:
  at: {{ .Values.greeting | quote }}
""",
    "templates/test.yaml": """apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    "helm.sh/hook": test
spec:
  containers:
  - name: t
    image: "busybox:{{ .Values.greeting }}"
""",
}


class Cluster:
    """Helm and pyhelm on one cluster and namespace, sharing Helm's homes."""

    def __init__(self, root: Path, kubeconfig: str, namespace: str) -> None:
        self.root, self.namespace = root, namespace
        self.env_extra = {"KUBECONFIG": kubeconfig}
        self.chart = str(write(root / "hello", CHART))

    def run(self, tool: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        from pyhelm.testing import peers

        return subprocess.run([tool, *args], env=peers.helm_env(self.root, **{
            **self.env_extra, **env}), capture_output=True, text=True, check=False,
            timeout=300)

    def helm(self, *args: str) -> str:
        done = self.run(helm(), *args, "--namespace", self.namespace)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def diff(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run(PYHELM, "diff", *args, "-n", self.namespace, **env)

    def expected(self, name: str, flags: tuple[str, ...] = (), *, reuse: str = "",
                 released: bool = True, **options: object) -> str:
        """helm-diff's output, from Helm's answers: ``reuse`` "all" or "user" puts the
        release's values first, as helm-diff does."""
        old: dict[str, object] = {}
        template = ["template", name, self.chart]
        if released:
            stored = self.helm("get", "manifest", name) + self.helm("get", "hooks", name)
            old = parse(stored, self.namespace)  # type: ignore[assignment]
            template.append("--is-upgrade")
        if reuse:
            existing = self.root / "existing-values.yaml"
            existing.write_text(self.helm("get", "values", name, "--output", "yaml",
                                          *(["--all"] if reuse == "all" else [])))
            template += ["--values", str(existing)]
        rendered = self.helm(*template, *flags, "--dry-run=server")
        chosen = ReportOptions(**options)  # type: ignore[arg-type]
        new = parse(rendered, self.namespace)
        return render(compare(old, new, chosen), chosen, color=False)  # type: ignore[arg-type]


@pytest.fixture
def cluster(tmp_path: Path, kubeconfig: str, namespace: str) -> Cluster:
    here = Cluster(tmp_path, kubeconfig, namespace)
    here.helm("install", "web", here.chart, "--set", "replicas=2")
    return here


def test_no_flags_reuses_the_release_values(cluster: Cluster) -> None:
    """Without value flags helm-diff renders with the release's computed values: only
    what depends on the install/upgrade difference shows."""
    done = cluster.diff("upgrade", "web", cluster.chart)
    assert done.returncode == 0, done.stderr
    assert done.stdout == cluster.expected("web", reuse="all")
    assert '-   upgrade: "false"\n+   upgrade: "true"\n' in done.stdout
    assert "replicas" not in done.stdout.split("+", 1)[1]  # replicas=2 was reused


SET_HELLO = ("--set", "greeting=hello")


@pytest.mark.parametrize(("flags", "template_flags", "reuse", "options"), [
    ((*SET_HELLO, "--set", "password=changed"), (*SET_HELLO, "--set", "password=changed"),
     "", {}),
    (("--reuse-values", *SET_HELLO), SET_HELLO, "all", {}),
    (("--reset-values", "--set", "extra=true"), ("--set", "extra=true"), "", {}),
    (("--reset-then-reuse-values", "--set", "greeting=yo"), ("--set", "greeting=yo"),
     "user", {}),
    ((*SET_HELLO, "--suppress-secrets", "--context", "1"), SET_HELLO, "",
     {"suppressed_kinds": ("Secret",), "context": 1}),
    (("--set", "extra=true", "--output", "simple"), ("--set", "extra=true"), "",
     {"output": "simple"}),
    (("--set", "extra=true", "--output", "json"), ("--set", "extra=true"), "",
     {"output": "json"}),
    ((*SET_HELLO, "--set", "password=x", "--show-secrets"), (*SET_HELLO, "--set",
                                                            "password=x"), "",
     {"show_secrets": True}),
])
def test_upgrade_as_helm_diff_sees_it(cluster: Cluster, flags: tuple[str, ...],
                                      template_flags: tuple[str, ...], reuse: str,
                                      options: dict[str, object]) -> None:
    done = cluster.diff("upgrade", "web", cluster.chart, *flags)
    assert done.returncode == 0, done.stderr
    assert done.stdout == cluster.expected("web", template_flags, reuse=reuse, **options)
    assert done.stdout  # each of these changes something


def test_the_deprecated_root_form(cluster: Cluster) -> None:
    done = cluster.diff("web", cluster.chart, *SET_HELLO)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ('Command "helm diff" is deprecated, use "helm diff upgrade" '
                           "instead\n")
    assert done.stdout == cluster.expected("web", SET_HELLO)


def test_test_hooks_only_when_asked(cluster: Cluster) -> None:
    plain = cluster.diff("upgrade", "web", cluster.chart, *SET_HELLO)
    with_tests = cluster.diff("upgrade", "web", cluster.chart, *SET_HELLO, "--include-tests")
    assert "web-test, Pod (v1)" not in plain.stdout
    assert f"{cluster.namespace}, web-test, Pod (v1) has changed:" in with_tests.stdout


def test_values_files_and_detailed_exitcode(cluster: Cluster) -> None:
    values = cluster.root / "more.yaml"
    values.write_text("greeting: from-file\nextra: true\n")
    done = cluster.diff("upgrade", "web", cluster.chart, "-f", str(values),
                        "--detailed-exitcode")
    assert done.returncode == 2
    assert done.stdout == cluster.expected("web", ("--values", str(values)))
    assert done.stderr == ("Error: identified at least one change, exiting with non-zero "
                           "exit code (detailed-exitcode parameter enabled)\n")
    assert "has been added:" in done.stdout and "ServiceAccount" in done.stdout
    same = cluster.diff("upgrade", "web", cluster.chart, "--set", "replicas=2",
                        "--set", "greeting=hi", "--detailed-exitcode",
                        "--suppress-output-line-regex", "upgrade:")
    assert (same.returncode, same.stderr) == (2, done.stderr)
    assert "has changed, but diff is empty after suppression." in same.stdout


def test_a_missing_release(cluster: Cluster) -> None:
    done = cluster.diff("upgrade", "nothere", cluster.chart)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "********************\n\n\tRelease was not present in Helm.  Include the "
        "`--allow-unreleased` to perform diff without exiting in error.\n\n"
        "********************\nError: exit status 1: Error: release: not found\n\n")
    unreleased = cluster.diff("upgrade", "nothere", cluster.chart, "--allow-unreleased")
    assert unreleased.returncode == 0, unreleased.stderr
    assert unreleased.stdout == cluster.expected("nothere", released=False)
    assert unreleased.stdout.count("has been added:") == 3


def test_revisions_rollback_and_releases(cluster: Cluster) -> None:
    cluster.helm("upgrade", "web", cluster.chart, "--set", "greeting=second")
    cluster.helm("upgrade", "web", cluster.chart, "--set", "greeting=third,extra=true")
    cluster.helm("install", "other", cluster.chart, "--set", "greeting=other")

    def stored(revision: int) -> dict[str, object]:
        return parse(cluster.helm("get", "manifest", "web", "--revision", str(revision)),
                     cluster.namespace)  # type: ignore[return-value]

    options = ReportOptions()
    for args, old, new in [(("revision", "web", "1", "3"), 1, 3),
                           (("revision", "web", "3", "2"), 2, 3),
                           (("revision", "web", "1"), 1, 3),
                           (("rollback", "web", "1"), 3, 1)]:
        done = cluster.diff(*args)
        assert done.returncode == 0, done.stderr
        assert done.stdout == render(compare(stored(old), stored(new), options),  # type: ignore[arg-type]
                                     options, color=False), args
    assert cluster.diff("rollback", "web", "2", "--detailed-exitcode").returncode == 2
    assert cluster.diff("revision", "web", "2", "--detailed-exitcode").returncode == 0
    releases = cluster.diff("release", "web", f"{cluster.namespace}/other")
    assert releases.returncode == 0, releases.stderr
    assert releases.stdout.startswith("hello/templates/cm.yaml has changed:\n")
    assert '-   greeting: "third"\n+   greeting: "other"\n' in releases.stdout
    missing = cluster.diff("rollback", "web", "9")
    assert (missing.returncode, missing.stderr) == (
        1, "Error: exit status 1: Error: release: not found\n\n")


def test_version_plugin_list_and_the_earlier_live_diff(cluster: Cluster) -> None:
    assert cluster.run(PYHELM, "diff", "version").stdout == f"{HELM_DIFF_VERSION}\n"
    listed = cluster.run(PYHELM, "plugin", "list").stdout
    assert f"diff\t{HELM_DIFF_VERSION}\tcli/v1" in listed
    live = cluster.diff("upgrade", "web", cluster.chart, "--set", "greeting=hello",
                        "--output", "live")
    assert live.returncode == 0, live.stderr
    assert "ConfigMap/web-cm (changed)" in live.stdout
    assert '-  greeting: hi' in live.stdout or "-  greeting: hi" in live.stdout
    colored = cluster.diff("upgrade", "web", cluster.chart, "--set", "greeting=x",
                           "--color")
    assert "\x1b[33mdefault" not in colored.stdout and "\x1b[33m" in colored.stdout
    plain = cluster.diff("upgrade", "web", cluster.chart, "--set", "greeting=x",
                         HELM_DIFF_COLOR="true")
    assert plain.stdout == colored.stdout
    assert "\x1b[" not in cluster.diff("upgrade", "web", cluster.chart, "--set",
                                       "greeting=x", "--no-color", "--color").stdout
