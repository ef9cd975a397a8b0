"""Plugins at work, beside Helm 4.3: a CLI plugin run as ``pyhelm NAME ARGS`` (words
passed through, global flags taken out into Helm's environment, stdin/stdout/stderr
shared, exit code kept), listed in help, refused when it takes a Helm verb's name; getter
plugins fetching ``s3://``/``gs://`` URLs for ``repo add``, ``pull``, chart references and
dependencies."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from .plugin_fixtures import PYHELM, helm, legacy_plugin, run, v1_plugin, write

pytestmark = pytest.mark.helm

REPORT = """#!/bin/sh
# what a plugin sees: its words, the environment Helm gives it, its stdin
for word in "$@"; do echo "word=[$word]"; done
for name in HELM_PLUGIN_NAME HELM_PLUGIN_DIR HELM_NAMESPACE HELM_KUBECONTEXT HELM_DEBUG \\
    HELM_PLUGINS HELM_CACHE_HOME HELM_CONFIG_HOME HELM_DATA_HOME HELM_REPOSITORY_CONFIG \\
    HELM_REPOSITORY_CACHE HELM_REGISTRY_CONFIG HELM_CONTENT_CACHE HELM_MAX_HISTORY \\
    HELM_KUBETOKEN HELM_KUBEASGROUPS KUBECONFIG FROM_CALLER; do
  eval "echo $name=\\${$name-unset}"
done
[ -t 0 ] || sed 's/^/stdin: /'
echo "to stderr" >&2
exit "${REPORT_EXIT:-0}"
"""


def plugins(root: Path) -> Path:
    """A legacy plugin, a v1 plugin with a usage and an ignoreFlags plugin."""
    legacy = legacy_plugin(root / "report", """name: report
version: 0.1.0
usage: "report what a plugin sees"
description: "Reports its words and environment."
command: "$HELM_PLUGIN_DIR/report.sh fixed-arg"
""")
    write(legacy, {"report.sh": REPORT}, executable=("report.sh",))
    modern = v1_plugin(root / "modern", "modern", config=(
        "  usage: \"modern [THING]\"\n  shortHelp: a v1 plugin\n"
        "  longHelp: The long help of a v1 plugin.\n"), runtime_config=(
        "  platformCommand:\n  - os: plan9\n    command: /bin/false\n"
        "  - command: \"${HELM_PLUGIN_DIR}/report.sh\"\n    args: [\"$HELM_PLUGIN_NAME\"]\n"))
    write(modern, {"report.sh": REPORT}, executable=("report.sh",))
    quiet = legacy_plugin(root / "quiet", "name: quiet\nignoreFlags: true\n"
                          "command: \"$HELM_PLUGIN_DIR/report.sh\"\n")
    write(quiet, {"report.sh": REPORT}, executable=("report.sh",))
    return root


def both(tmp_path: Path, *args: str, stdin: str | None = None, **env: str
         ) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """Helm's and pyhelm's (exit code, stdout, stderr), each tool's path written TOOL."""
    results = []
    for tool in (helm(), PYHELM):
        done = run(tool, tmp_path, *args, stdin=stdin, **env)
        results.append((done.returncode, done.stdout.replace(tool, "TOOL"),
                        done.stderr.replace(tool, "TOOL")))
    return results[0], results[1]


@pytest.mark.parametrize("args", [
    ("report", "a", "--flag", "-x", "value", "--", "--help", "-n", "after-dashes"),
    ("report", "--namespace", "team", "--kube-context=ctx", "--debug", "pos"),
    ("-n", "early", "report", "-nlate", "--kube-token", "t1", "--kube-token=t2"),
    ("modern", "thing", "--kubeconfig", "/some/kubeconfig", "--other"),
    ("quiet", "ignored", "--also-ignored", "-n", "kept-in-env"),
])
def test_cli_plugins_run_as_in_helm(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins")), "FROM_CALLER": "kept"}
    theirs, mine = both(tmp_path, *args, stdin="line one\nline two\n", **env)
    assert mine[0] == theirs[0] == 0, mine[2]
    assert mine[1] == theirs[1]
    assert "stdin: line two" in mine[1] and "FROM_CALLER=kept" in mine[1]
    assert "to stderr" in mine[2]


def test_namespace_of_the_kubeconfig_context(tmp_path: Path) -> None:
    """HELM_NAMESPACE is the context's namespace when no flag names one (Helm asks the
    kubeconfig); --kubeconfig is handed on as KUBECONFIG."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("""apiVersion: v1
kind: Config
current-context: main
contexts:
- name: main
  context: {cluster: c, user: u, namespace: from-context}
- name: other
  context: {cluster: c, user: u, namespace: other-namespace}
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
""")
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins"))}
    for args, namespace in [(("--kubeconfig", str(kubeconfig), "report"), "from-context"),
                            (("report", "--kube-context", "other", "--kubeconfig",
                              str(kubeconfig)), "other-namespace"),
                            (("report", "--kubeconfig", str(kubeconfig), "-n", "flag"),
                             "flag")]:
        theirs, mine = both(tmp_path, *args, **env)
        assert mine[:2] == theirs[:2], args
        assert f"HELM_NAMESPACE={namespace}\n" in mine[1]
        assert f"KUBECONFIG={kubeconfig}\n" in mine[1]


def test_impersonated_groups_reach_the_plugin_once(tmp_path: Path) -> None:
    """Helm 4.3 binds --kube-as-group twice and hands a plugin every group twice
    (``g0,g1,g0,g1``); pyhelm hands each group once."""
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins"))}
    theirs, mine = both(tmp_path, "--kube-as-group", "g0", "report", "--kube-as-group", "g1",
                        **env)
    assert "HELM_KUBEASGROUPS=g0,g1,g0,g1\n" in theirs[1]
    assert "HELM_KUBEASGROUPS=g0,g1\n" in mine[1]


@pytest.mark.parametrize(("args", "message"), [
    (("report", "word", "-n"), "flag needs an argument: 'n' in -n"),
    (("report", "--kube-context"), "flag needs an argument: --kube-context"),
])
def test_a_global_flag_without_its_value(tmp_path: Path, args: tuple[str, ...],
                                         message: str) -> None:
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins"))}
    theirs, mine = both(tmp_path, *args, **env)
    assert mine == theirs == (1, "", f"Error: {message}\n")


def test_plugin_exit_code_and_error_are_helms(tmp_path: Path) -> None:
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins")), "REPORT_EXIT": "7"}
    theirs, mine = both(tmp_path, "report", **env)
    assert mine[0] == theirs[0] == 7
    assert mine[1] == theirs[1]
    assert mine[2].endswith('Error: plugin "report" exited with error\n')
    assert theirs[2].endswith('Error: plugin "report" exited with error\n')


def test_plugins_in_help_and_suggestions(tmp_path: Path) -> None:
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins"))}
    for tool in (helm(), PYHELM):
        listing = run(tool, tmp_path, "--help", **env).stdout
        assert "  report      report what a plugin sees" in listing, tool
        assert "  modern      a v1 plugin" in listing, tool
        assert '  quiet       the "quiet" plugin' in listing, tool
        shown = run(tool, tmp_path, "help", "modern", **env).stdout
        assert shown.startswith("The long help of a v1 plugin.\n\nUsage:\n  "), tool
        assert " modern [THING] [flags]" in shown, tool
    theirs, mine = both(tmp_path, "reprot", **env)
    assert mine[0] == theirs[0] == 1
    assert mine[2] == theirs[2].replace('"helm"', '"pyhelm"').replace(
        "'helm --help'", "'pyhelm --help'")
    assert "Did you mean this?\n\trepo\n\treport\n" in mine[2]


def test_a_plugin_named_as_a_verb_stops_the_loading(tmp_path: Path) -> None:
    """Helm refuses a plugin that takes a verb's name, and loads no plugin after it."""
    root = plugins(tmp_path / "plugins")
    legacy_plugin(root / "install", "name: install\ncommand: echo\n")
    legacy_plugin(root / "a-first", "name: first\ncommand: echo first\n")
    env = {"HELM_PLUGINS": str(root)}
    theirs, mine = both(tmp_path, "report", **env)
    assert mine[0] == theirs[0] == 1
    assert 'unknown command "report"' in mine[2] and 'unknown command "report"' in theirs[2]
    message = 'level=ERROR msg="failed to load plugins: name conflicts" name=install\n'
    assert message in mine[2] and message in theirs[2]
    theirs, mine = both(tmp_path, "first", "word", **env)  # found before "install"
    assert mine[:2] == theirs[:2] == (0, "first word\n")


def test_no_plugins_when_helm_no_plugins_is_set(tmp_path: Path) -> None:
    env = {"HELM_PLUGINS": str(plugins(tmp_path / "plugins")), "HELM_NO_PLUGINS": "1"}
    theirs, mine = both(tmp_path, "report", **env)
    assert mine[0] == theirs[0] == 1
    assert mine[2].startswith('Error: unknown command "report" for "pyhelm"')


def test_an_installed_diff_plugin_answers_pyhelm_diff(tmp_path: Path) -> None:
    root = tmp_path / "plugins"
    legacy_plugin(root / "diff", "name: diff\nversion: 3.9.0\nusage: the helm-diff plugin\n"
                  "command: \"$HELM_PLUGIN_DIR/diff.sh\"\n")
    write(root / "diff", {"diff.sh": "#!/bin/sh\necho helm-diff says \"$@\"\n"},
          executable=("diff.sh",))
    done = run(PYHELM, tmp_path, "diff", "upgrade", "web", "chart", "--detailed-exitcode",
               HELM_PLUGINS=str(root))
    assert (done.returncode, done.stdout) == (
        0, "helm-diff says upgrade web chart --detailed-exitcode\n"), done.stderr


# ------------------------------------------------------------------ getters
GETTER = """#!/bin/sh
# a getter: the URL is the last word; bucket/key is a file under $STORE
for last; do :; done
echo "$HELM_PLUGIN_NAME got $last (user=$HELM_PLUGIN_USERNAME args=$#: $*)" >> "$STORE/log"
path="${last#*://}"
[ -f "$STORE/$path" ] || { echo "no such object: $last" >&2; exit 2; }
cat "$STORE/$path"
"""


def getter_plugins(root: Path) -> Path:
    legacy = legacy_plugin(root / "helm-s3", """name: s3
version: 0.16.0
downloaders:
- command: "bin/get.sh download"
  protocols: [s3, s3a]
""")
    write(legacy, {"bin/get.sh": GETTER}, executable=("bin/get.sh",))
    modern = v1_plugin(root / "gcs", "gcs", "getter/v1", config="  protocols: [gs]\n",
                       runtime_config="  protocolCommands:\n  - protocols: [gs]\n"
                                      "    platformCommand:\n    - command: get.sh\n")
    write(modern, {"get.sh": GETTER}, executable=("get.sh",))
    return root


def bucket(store: Path, scheme: str, tmp_path: Path) -> str:
    """A chart repository in ``store/bucket/charts`` whose index names ``scheme`` URLs."""
    chart = write(tmp_path / "src" / "hello", {
        "Chart.yaml": "apiVersion: v2\nname: hello\nversion: 0.1.0\n",
        "values.yaml": "greeting: hi\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                             "  name: {{ .Release.Name }}\ndata:\n"
                             "  greeting: {{ .Values.greeting }}\n"})
    charts = store / "bucket" / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    for args in (("package", str(chart), "-d", str(charts)),
                 ("repo", "index", str(charts), "--url", f"{scheme}://bucket/charts")):
        done = run(helm(), tmp_path, *args)
        assert done.returncode == 0, done.stderr
    return f"{scheme}://bucket/charts"


@pytest.mark.parametrize("scheme", ["s3", "gs"])
def test_getter_plugins_fetch_their_schemes(tmp_path: Path, scheme: str) -> None:
    store = tmp_path / "store"
    url = bucket(store, scheme, tmp_path)
    env = {"HELM_PLUGINS": str(getter_plugins(tmp_path / "plugins")), "STORE": str(store)}
    homes = {"helm": tmp_path / "h", "pyhelm": tmp_path / "p"}
    outputs = {}
    for name, tool in (("helm", helm()), ("pyhelm", PYHELM)):
        home = homes[name]
        (home / "pulled").mkdir(parents=True)
        (home / "direct").mkdir()
        added = run(tool, home, "repo", "add", "bucket", url, "--username", "me",
                    "--password", "secret", **env)
        assert added.returncode == 0, added.stderr
        pulled = run(tool, home, "pull", "bucket/hello", "-d", str(home / "pulled"), **env)
        assert pulled.returncode == 0, pulled.stderr
        direct = run(tool, home, "pull", f"{url}/hello-0.1.0.tgz", "-d", str(home / "direct"),
                     **env)
        assert direct.returncode == 0, direct.stderr
        rendered = run(tool, home, "template", "web", f"{url}/hello-0.1.0.tgz", **env)
        assert rendered.returncode == 0, rendered.stderr
        outputs[name] = (added.stdout, rendered.stdout,
                         (home / "pulled" / "hello-0.1.0.tgz").read_bytes(),
                         (home / "direct" / "hello-0.1.0.tgz").read_bytes())
    assert outputs["pyhelm"] == outputs["helm"]
    log = (store / "log").read_text().splitlines()
    plugin = "s3" if scheme == "s3" else "gcs"
    args = "download    " if scheme == "s3" else "   "  # own words, then CERT KEY CA URL
    index_fetch = f"{plugin} got {url}/index.yaml (user=me args="
    assert sum(line.startswith(index_fetch) for line in log) == 2  # helm's, then pyhelm's
    assert any(f"args={5 if scheme == 's3' else 4}: {args}{url}/index.yaml" in line
               for line in log)


def test_a_chart_dependency_from_a_getter_scheme(tmp_path: Path) -> None:
    store = tmp_path / "store"
    url = bucket(store, "s3", tmp_path)
    env = {"HELM_PLUGINS": str(getter_plugins(tmp_path / "plugins")), "STORE": str(store)}
    for tool in (helm(), PYHELM):
        parent = write(tmp_path / Path(tool).name / "parent", {
            "Chart.yaml": "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
                          f"- name: hello\n  version: ^0.1.0\n  repository: {url}\n"})
        done = run(tool, tmp_path / Path(tool).name, "dependency", "update", str(parent),
                   **env)
        assert done.returncode == 0, done.stderr
        with tarfile.open(parent / "charts" / "hello-0.1.0.tgz") as package:
            assert "hello/Chart.yaml" in package.getnames()
    shutil.rmtree(tmp_path / "src")


def test_schemes_without_a_getter_fail_as_in_helm(tmp_path: Path) -> None:
    env = {"HELM_PLUGINS": str(tmp_path / "none")}
    theirs, mine = both(tmp_path, "repo", "add", "x", "foo://bucket/charts", **env)
    assert mine == theirs == (1, "", "Error: could not find protocol handler for: foo\n")
    theirs, mine = both(tmp_path, "pull", "foo://bucket/charts/x-0.1.0.tgz", **env)
    assert mine == theirs == (1, "", 'Error: scheme "foo" not supported\n')


def test_a_failing_getter_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    env = {"HELM_PLUGINS": str(getter_plugins(tmp_path / "plugins")), "STORE": str(store)}
    done = run(PYHELM, tmp_path, "pull", "s3://bucket/charts/missing-0.1.0.tgz", **env)
    assert done.returncode == 1
    assert done.stderr == ("no such object: s3://bucket/charts/missing-0.1.0.tgz\n"
                           'Error: plugin "s3" failed to invoke: plugin "s3" exited with '
                           "error\n")
