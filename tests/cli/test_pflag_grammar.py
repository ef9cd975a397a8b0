"""Helm's command-line grammar (cobra's pflag) as programs that drive ``helm`` write it:
``-f=FILE``, ``--bool=true|false``, comma-joined StringSlice flags and Helm's aliases,
each compared with Helm 4.3 on the same words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from pyhelm.cli.pflag import normalize, string_slice
from pyhelm.testing import peers

PYHELM = str(Path(sys.executable).with_name("pyhelm"))

PARAMS = [click.Option(["-f", "--values"], multiple=True),
          click.Option(["--force"], is_flag=True),
          click.Option(["--reset-values"], is_flag=True),
          click.Option(["--force-conflicts/--no-force-conflicts"], default=True)]


@pytest.mark.parametrize(("words", "expected"), [
    (["-f=/tmp/x.yml"], ["-f", "/tmp/x.yml"]),
    (["--values=/tmp/x.yml"], ["--values=/tmp/x.yml"]),
    (["-f/tmp/x.yml"], ["-f/tmp/x.yml"]),  # click reads an attached value itself
    (["--force=false", "--reset-values=true"], ["--reset-values"]),
    (["--force=1", "--reset-values=F"], ["--force"]),
    (["--force-conflicts=false"], ["--no-force-conflicts"]),
    (["--no-force-conflicts=false"], ["--force-conflicts"]),
    (["--", "--force=false", "-f=x"], ["--", "--force=false", "-f=x"]),
    (["name=--force=false"], ["name=--force=false"]),
])
def test_pflag_words_in_clicks_spelling(words: list[str], expected: list[str]) -> None:
    assert normalize(PARAMS, words) == expected


def test_string_slices_split_as_csv() -> None:
    assert string_slice(["a.yaml,b.yaml", '"c,d.yaml"', ""]) == ("a.yaml", "b.yaml",
                                                                  "c,d.yaml")


@pytest.fixture
def plain_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "plain"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: plain\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("n: 1\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
    (tmp_path / "one.yaml").write_text("n: 2\n")
    (tmp_path / "two.yaml").write_text("m: 3\n")
    return chart


@pytest.mark.helm
@pytest.mark.parametrize("words", [
    ["template", "x", "{chart}", "-f={dir}/one.yaml", "--skip-tests=true"],
    ["template", "x", "{chart}", "-f", "{dir}/one.yaml,{dir}/two.yaml", "-a=v1,apps/v1",
     "--include-crds=false", "-s=templates/cm.yaml"],
    ["template", "x", "{chart}", "--skip-tests=maybe"],
    ["--debug=false", "template", "x", "{chart}", "-n=ns", "--no-hooks=T"],
    ["show", "values", "{chart}"], ["inspect", "values", "{chart}"],
    ["repo", "ls"], ["repo", "list"],
    ["dep", "ls", "{chart}"], ["dependencies", "list", "{chart}"],
])
def test_programs_words_as_helm_reads_them(tmp_path: Path, plain_chart: Path,
                                           words: list[str]) -> None:
    args = [w.format(chart=plain_chart, dir=tmp_path) for w in words]
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = subprocess.run([str(peers.helm_binary()), *args], capture_output=True, text=True,
                          env=env, check=False)
    mine = subprocess.run([PYHELM, *args], capture_output=True, text=True, env=env,
                          check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == (
        helm.returncode, helm.stdout, helm.stderr)


@pytest.mark.helm
@pytest.mark.parametrize("charts", [["info"], ["warn"], ["info", "warn"]])
@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_lint_quiet_prints_only_charts_with_warnings_as_helm(tmp_path: Path,
                                                            charts: list[str],
                                                            quiet: list[str]) -> None:
    for name, template in (("info", "kind: ConfigMap\napiVersion: v1\n"),
                           ("warn", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n")):
        (tmp_path / name / "templates").mkdir(parents=True)
        (tmp_path / name / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        (tmp_path / name / "templates" / "t.yaml").write_text(
            template + "metadata:\n  name: {{ .Release.Name }}\n")
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    outputs = [subprocess.run([tool, "lint", *quiet, *charts], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)
               for tool in (str(peers.helm_binary()), PYHELM)]
    assert [(o.returncode, o.stdout, o.stderr) for o in outputs][1] == (
        outputs[0].returncode, outputs[0].stdout, outputs[0].stderr)


@pytest.mark.helm
@pytest.mark.parametrize("words", [
    ["dependency", "list", "{root}/parent", "--max-col-width", "12"],
    ["dependency", "list", "{root}/parent"],
    ["repo", "add", "old", "https://kubernetes-charts.storage.googleapis.com"],
])
def test_small_flags_as_helm(tmp_path: Path, words: list[str]) -> None:
    parent = tmp_path / "parent"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
        "- name: a-dependency-with-a-long-name\n  version: 1.2.3\n"
        "  repository: https://charts.example.com/a/long/repository/path\n")
    args = [w.format(root=tmp_path) for w in words]
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    helm = subprocess.run([str(peers.helm_binary()), *args], capture_output=True, text=True,
                          env=env, check=False)
    mine = subprocess.run([PYHELM, *args], capture_output=True, text=True, env=env,
                          check=False)
    assert (mine.returncode, mine.stdout, mine.stderr) == (
        helm.returncode, helm.stdout, helm.stderr)


def test_a_bare_optional_value_flag_never_takes_the_next_word() -> None:
    params = [click.Option(["--dry-run", "dry_run"], is_flag=False, flag_value="client",
                           default=None)]
    assert normalize(params, ["--dry-run", "web", "chart"]) == ["--dry-run=client", "web",
                                                                "chart"]
    assert normalize(params, ["--dry-run=server", "web"]) == ["--dry-run=server", "web"]
