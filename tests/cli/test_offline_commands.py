"""The offline commands, through click's runner and through the installed script."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyhelm.cli.main import cli, main

ROOT = Path(__file__).resolve().parents[2]
CHARTS = sorted(p for p in (ROOT / "charts").iterdir() if (p / "Chart.yaml").exists())
GOLDEN = Path(__file__).parent / "golden"
SCRIPT = Path(sys.executable).parent / "pyhelm"


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run like the console script does (main maps errors to exit codes)."""
    result = CliRunner().invoke(cli, list(args), standalone_mode=True)
    return result.exit_code, result.stdout, result.stderr


def run_script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYHELM_DEBUG": ""}, check=False)


@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_every_example_chart_lints_clean_and_renders(chart: Path) -> None:
    result = run_script("lint", "--strict", str(chart))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    rendered = run_script("template", "ex", str(chart), "--include-crds")
    assert rendered.returncode == 0, rendered.stderr
    if chart.name != "common-lib":
        assert "# Source:" in rendered.stdout


def test_demo_template_matches_golden_file() -> None:
    """Regenerate with: PYHELM_UPDATE_GOLDEN=1 pytest tests/cli"""
    result = run_script("template", "web", str(ROOT / "charts/demo"), "-n", "shop",
                        "--set", "replicaCount=2")
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / "demo-template.yaml"
    if os.environ.get("PYHELM_UPDATE_GOLDEN"):
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()


def test_template_flags_show_only_skip_tests_and_output_dir(tmp_path: Path) -> None:
    code, out, _ = run_cli("template", "web", str(ROOT / "charts/demo"),
                           "--show-only", "templates/service.yaml")
    assert code == 0 and out.count("# Source:") == 1 and "kind: Service" in out
    code, out, _ = run_cli("template", "web", str(ROOT / "charts/demo"), "--skip-tests")
    assert "test-connection" not in out
    code, out, _ = run_cli("template", "web", str(ROOT / "charts/demo"),
                           "--output-dir", str(tmp_path))
    assert (tmp_path / "demo/templates/deployment.yaml").read_text().startswith("---\n# Source")


@pytest.mark.parametrize(("args", "message"), [
    (["template", "x", "charts/demo", "--set", "a[x]=1"],
     'failed parsing --set data: error parsing index: strconv.Atoi: parsing "x": invalid syntax'),
    (["template", "x", "charts/demo", "--set", "replicaCount=lots"],
     "values: replicaCount: Invalid type. Expected: integer, given: string"),
    (["template", "x", "charts/demo", "--set", "secret.password="],
     "secret.password: must not be empty"),
    (["template", "x", "charts/nope"], "no repository named \"charts\""),
    (["template", "x", "charts/demo", "--show-only", "templates/none.yaml"],
     "could not find template"),
])
def test_bad_input_is_one_line_with_exit_code(args: list[str], message: str) -> None:
    result = run_script(*args, cwd=ROOT)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _broken_chart(tmp_path: Path, chart_yaml: str, template: str = "") -> Path:
    root = tmp_path / "broken"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(chart_yaml)
    if template:
        (root / "templates/t.yaml").write_text(template)
    return root


@pytest.mark.parametrize(("chart_yaml", "template", "message"), [
    ("apiVersion: v2\nname: b\nversion: 1.x\n", "",
     'Chart.yaml: validation: chart.metadata.version "1.x" is invalid'),
    ("apiVersion: v2\nname: b\n", "", "Chart.yaml: validation: chart.metadata.version is required"),
    ("apiVersion: v2\nname: [b\n", "", "broken: cannot load Chart.yaml: error converting YAML"),
    ("apiVersion: v2\nname: b\nversion: 1.0.0\n", "x: {{ Values.image.tag }}\n",
     "b/templates/t.yaml:1: Values.image.tag is not defined"),
    ("apiVersion: v2\nname: b\nversion: 1.0.0\n", "{% for %}", "b/templates/t.yaml:1: syntax"),
    ("apiVersion: v2\nname: b\nversion: 1.0.0\n", "a: [1\n",
     "b/templates/t.yaml: line 2 of the rendered output"),
])
def test_broken_charts_name_file_and_line(tmp_path: Path, chart_yaml: str, template: str,
                                          message: str) -> None:
    result = run_script("template", "r", str(_broken_chart(tmp_path, chart_yaml, template)))
    assert result.returncode == 1
    assert message in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    chart = _broken_chart(tmp_path, "apiVersion: v2\nname: b\n")
    result = run_script("--debug", "template", "r", str(chart))
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_package_is_deterministic_and_laid_out_like_helm(tmp_path: Path) -> None:
    code, out, _ = run_cli("package", str(ROOT / "charts/demo"), "-d", str(tmp_path / "a"))
    assert code == 0, out
    run_cli("package", str(ROOT / "charts/demo"), "-d", str(tmp_path / "b"))
    first = (tmp_path / "a/demo-0.1.0.tgz").read_bytes()
    assert first == (tmp_path / "b/demo-0.1.0.tgz").read_bytes()
    with tarfile.open(tmp_path / "a/demo-0.1.0.tgz") as tar:
        names = tar.getnames()
    assert "demo/Chart.yaml" in names and "demo/templates/deployment.yaml" in names
    code, out, _ = run_cli("package", str(ROOT / "charts/demo"), "-d", str(tmp_path),
                           "--version", "1.2.3", "--app-version", "9")
    assert code == 0
    code, out, _ = run_cli("show", "chart", str(tmp_path / "demo-1.2.3.tgz"))
    assert "version: 1.2.3" in out and "appVersion: '9'" in out
    # the same files with other timestamps give the same bytes: only content counts
    copy = tmp_path / "copy" / "demo"
    shutil.copytree(ROOT / "charts/demo", copy)
    for path in [copy, *copy.rglob("*")]:
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert run_cli("package", str(copy), "-d", str(tmp_path / "c"))[0] == 0
    assert hashlib.sha256((tmp_path / "c/demo-0.1.0.tgz").read_bytes()).hexdigest() == \
        hashlib.sha256(first).hexdigest()


def test_create_show_dependency_and_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("create", "mychart")[0] == 0
    assert run_cli("lint", "--strict", "mychart")[0] == 0  # a missing icon is only info
    code, out, _ = run_cli("lint", "mychart")
    assert code == 0 and "[INFO] Chart.yaml: icon is recommended" in out
    code, out, _ = run_cli("show", "values", "mychart")
    assert "replicaCount: 1" in out
    code, out, _ = run_cli("dependency", "list", str(ROOT / "charts/uses-lib"))
    assert "common-lib" in out and "ok" in out
    code, out, _ = run_cli("version", "--short")
    assert out.startswith("v4.")  # the Helm release pyhelm stands in for
    assert run_cli("create", "mychart")[0] == 1


def test_main_maps_errors_to_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["template", "r", "does-not-exist"])
    assert info.value.code == 1
    assert capsys.readouterr().err.startswith("Error: does-not-exist: no such chart")


def test_import_and_template_do_not_import_the_kubernetes_client() -> None:
    code = ("import sys, pyhelm; from pyhelm.cli.main import main\n"
            "try:\n    main(['template', 'r', 'charts/demo'])\nexcept SystemExit:\n    pass\n"
            "assert 'kubernetes' not in sys.modules, 'kubernetes was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
