"""The typed library: what type checkers see of ``pyhelm``, and the offline chart
functions (load, lint, package, render) against the charts in this repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from mypy import api as mypy_api

import pyhelm
from pyhelm import yamlio

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "charts" / "demo")


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def _mypy(tmp_path: Path, cache: Path, code: str) -> tuple[int, str]:
    script = tmp_path / "user_script.py"
    script.write_text(code)
    out, err, status = mypy_api.run(["--strict", "--cache-dir", str(cache), str(script)])
    return status, out + err


def test_a_misspelt_option_fails_the_type_checker_and_the_call(tmp_path: Path,
                                                               mypy_cache: Path) -> None:
    status, out = _mypy(tmp_path, mypy_cache, (
        "import pyhelm\n\n"
        "def go(client: pyhelm.Client) -> None:\n"
        "    client.install('web', 'charts/demo', creat_namespace=True)\n"))
    assert status == 1
    assert 'Unexpected keyword argument "creat_namespace" for "install" of "Client"' in out
    client = pyhelm.Client(namespace="nowhere")  # connects lazily: nothing is reached
    with pytest.raises(TypeError, match="creat_namespace"):
        client.install("web", DEMO, creat_namespace=True)  # type: ignore[call-arg]


def test_results_and_errors_have_their_real_types(tmp_path: Path, mypy_cache: Path) -> None:
    status, out = _mypy(tmp_path, mypy_cache, (
        "import pyhelm\n\n"
        "def go(client: pyhelm.Client) -> None:\n"
        "    release = client.upgrade('web', 'charts/demo', install=True, wait=True)\n"
        "    reveal_type(release.version)\n"
        "    reveal_type(client.history('web'))\n"
        "    reveal_type(client.uninstall('web').deleted)\n"
        "    reveal_type(pyhelm.render_chart('charts/demo').objects)\n"
        "    try:\n"
        "        client.rollback('web', 1)\n"
        "    except pyhelm.KubeError as exc:\n"
        "        reveal_type(exc.status)\n"
        "    release.version + 'one'\n"))
    assert status == 1, out
    revealed = [line.split("Revealed type is ", 1)[1] for line in out.splitlines()
                if "Revealed type is " in line]
    assert revealed == ['"int"', '"list[pyhelm.release.model.Release]"', '"tuple[str, ...]"',
                        '"list[dict[str, Any]]"', '"int | None"'], out
    assert 'Unsupported operand types for + ("int" and "str")' in out
    assert out.count("error:") == 1, out


def test_every_public_name_is_seen_by_type_checkers() -> None:
    source = (ROOT / "pyhelm" / "__init__.py").read_text()
    for name in pyhelm.__all__:
        if name != "__version__":
            assert f"{name} as {name}," in source, f"{name} is not imported for type checkers"
            assert getattr(pyhelm, name) is not None


def test_import_pyhelm_loads_neither_kubernetes_nor_click() -> None:
    code = ("import sys, pyhelm\n"
            "assert 'kubernetes' not in sys.modules and 'click' not in sys.modules\n"
            "pyhelm.Client; pyhelm.render_chart; pyhelm.KubeError\n"
            "assert 'kubernetes' not in sys.modules and 'click' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_load_lint_package_and_render_a_chart(tmp_path: Path) -> None:
    chart = pyhelm.load_chart(DEMO)
    assert isinstance(chart, pyhelm.Chart)
    assert chart.metadata.name == "demo"
    assert pyhelm.lint_chart(DEMO).failed == []

    package = pyhelm.package_chart(DEMO, destination=str(tmp_path), version="9.9.9")
    assert package == tmp_path / "demo-9.9.9.tgz"
    with tarfile.open(package) as archive:
        assert "demo/Chart.yaml" in archive.getnames()
    assert pyhelm.load_chart(str(package)).metadata.version == "9.9.9"

    rendered = pyhelm.render_chart(DEMO, release_name="web", namespace="team",
                                   values={"replicaCount": 3})
    assert isinstance(rendered, pyhelm.RenderedChart)
    assert rendered.objects == [m.obj for m in rendered.manifests] + \
        [h.manifest.obj for h in rendered.hooks]
    deployment = next(o for o in rendered.objects if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert [o for o in yamlio.load_all(rendered.text) if o] == rendered.objects
    assert pyhelm.Client().template("web", DEMO, namespace="team",
                                    values={"replicaCount": 3}) == rendered.text


def test_library_errors_are_one_line_pyhelm_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(DEMO, broken)
    (broken / "Chart.yaml").write_text("name: [\n")
    with pytest.raises(pyhelm.ChartError):
        pyhelm.load_chart(str(broken))
    assert pyhelm.lint_chart(str(broken)).failed
    with pytest.raises(pyhelm.UsageError, match="set_values takes a list of strings"):
        pyhelm.render_chart(DEMO, set_values="replicaCount=2")
    with pytest.raises(pyhelm.UsageError, match="starts with oci://"):
        pyhelm.registry_pull("demo/demo")
