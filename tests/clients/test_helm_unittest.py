"""helm-unittest 1.1.2 (built from its Go module, cached like the other Go builds), laid
out as a plugin directory, installed with ``plugin install DIR`` and run as ``unittest
CHART`` by pyhelm and by Helm 4.3 side by side: the same suites pass and fail the same
way, with the same report and exit code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers, unittest_build

pytestmark = pytest.mark.helm
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
_TIMING = re.compile(r"\d+(\.\d+)?(ms|µs|s)\b")

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: greeter\nversion: 0.1.0\n",
    "values.yaml": "greeting: hi\nreplicas: 1\n",
    "templates/cm.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  greeting: {{ .Values.greeting | quote }}
  shout: {{ .Values.greeting | upper | quote }}
""",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: app
          image: "nginx:{{ .Chart.Version }}"
""",
    "tests/configmap_test.yaml": """suite: the config map
templates:
  - templates/cm.yaml
tests:
  - it: greets by default
    asserts:
      - isKind:
          of: ConfigMap
      - equal:
          path: data.greeting
          value: hi
  - it: takes the greeting from values
    set:
      greeting: hello
    asserts:
      - equal:
          path: data.shout
          value: HELLO
      - matchRegex:
          path: metadata.name
          pattern: -cm$
""",
    "tests/deployment_test.yaml": """suite: the deployment
templates:
  - templates/deployment.yaml
tests:
  - it: scales
    set:
      replicas: 3
    asserts:
      - equal:
          path: spec.replicas
          value: 3
      - equal:
          path: spec.template.spec.containers[0].image
          value: nginx:0.1.0
""",
}
FAILING = """suite: a wrong expectation
templates:
  - templates/cm.yaml
tests:
  - it: expects another greeting
    asserts:
      - equal:
          path: data.greeting
          value: bonjour
"""


def write_chart(root: Path) -> Path:
    for name, text in CHART.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(tool: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([tool, *args], env=peers.helm_env(home, SKIP_BIN_INSTALL="1"),
                          capture_output=True, text=True, check=False, timeout=600)
    return subprocess.CompletedProcess(done.args, done.returncode,
                                       _TIMING.sub("T", done.stdout), done.stderr)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unittest_build.plugin_dir(tmp_path_factory.mktemp("helm-unittest") / "unittest")


def test_unittest_plugin_runs_in_pyhelm_as_in_helm(tmp_path: Path, plugin: Path) -> None:
    chart = write_chart(tmp_path / "greeter")
    results = {}
    for name, tool in (("helm", str(peers.helm_binary())), ("pyhelm", PYHELM)):
        home = tmp_path / f"{name}-home"
        installed = run(tool, home, "plugin", "install", str(plugin))
        assert installed.returncode == 0, installed.stderr
        assert installed.stdout == (
            "Installing plugin from local directory (development mode)\n"
            "Skipping binary install\nInstalled plugin: unittest\n")
        listed = run(tool, home, "plugin", "list", "--type", "cli/v1").stdout
        assert f"unittest\t{unittest_build.VERSION}" in listed
        passing = run(tool, home, "unittest", str(chart))
        only = run(tool, home, "unittest", "-f", "tests/deployment_test.yaml", str(chart))
        results[name] = (passing, only)
    for mine, theirs in zip(results["pyhelm"], results["helm"], strict=True):
        assert (mine.returncode, mine.stdout) == (theirs.returncode, theirs.stdout)
    passing, only = results["pyhelm"]
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Charts:      1 passed, 1 total" in passing.stdout
    assert "Test Suites: 2 passed, 2 total" in passing.stdout
    assert "Tests:       3 passed, 3 total" in passing.stdout
    assert "Test Suites: 1 passed, 1 total" in only.stdout


def test_a_failing_suite_fails_the_command(tmp_path: Path, plugin: Path) -> None:
    chart = write_chart(tmp_path / "greeter")
    (chart / "tests" / "wrong_test.yaml").write_text(FAILING)
    outcomes = {}
    for name, tool in (("helm", str(peers.helm_binary())), ("pyhelm", PYHELM)):
        home = tmp_path / f"{name}-home"
        assert run(tool, home, "plugin", "install", str(plugin)).returncode == 0
        outcomes[name] = run(tool, home, "unittest", str(chart))
    mine, theirs = outcomes["pyhelm"], outcomes["helm"]
    assert mine.returncode == theirs.returncode == 1
    assert mine.stdout == theirs.stdout
    assert "- expects another greeting" in mine.stdout and "bonjour" in mine.stdout
    assert mine.stderr.endswith('Error: plugin "unittest" exited with error\n')
