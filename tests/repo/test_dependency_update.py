"""``dependency update`` / ``build`` against a served repository and file:// paths, with
a Chart.lock that Helm itself accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pyhelm.action import dependency_update
from pyhelm.chart.loader import load_chart
from pyhelm.chart.package import write_package
from pyhelm.errors import ChartError, RepoError
from pyhelm.repo import client

ROOT = Path(__file__).resolve().parents[2]


def _parent(tmp_path: Path, dependencies: str) -> Path:
    root = tmp_path / "parent"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n{dependencies}")
    return root


def test_update_resolves_constraints_downloads_and_locks(served: str, user_dirs: Path,
                                                         tmp_path: Path) -> None:
    upload = tmp_path / "more"
    for version in ("0.1.5", "0.2.0", "1.0.0"):
        path = write_package(ROOT / "charts/demo", upload, version=version)
        shutil.copy(path, tmp_path / "repo" / path.name)
    from pyhelm.action.repo import IndexOptions, index_directory

    index_directory(IndexOptions(directory=str(tmp_path / "repo")))
    client.add(client.RepoEntry("local", served))
    (tmp_path / "lib").mkdir()
    shutil.copytree(ROOT / "charts/common-lib", tmp_path / "lib" / "common-lib")
    root = _parent(tmp_path, (
        f"  - name: demo\n    version: '>=0.1.0 <0.3.0'\n    repository: {served}\n"
        "  - name: platform\n    version: ~0.1.0\n    repository: '@local'\n"
        "  - name: common-lib\n    version: ^0.1.0\n    repository: file://../lib/common-lib\n"))
    write_package(ROOT / "charts/demo", root / "charts", version="0.0.9")  # to be replaced
    locked = dependency_update.update(str(root))
    assert [(d["name"], d["version"]) for d in locked] == [
        ("demo", "0.2.0"), ("platform", "0.1.0"), ("common-lib", "0.1.0")]
    assert sorted(p.name for p in (root / "charts").iterdir()) == [
        "common-lib-0.1.0.tgz", "demo-0.2.0.tgz", "platform-0.1.0.tgz"]
    chart = load_chart(root)
    assert chart.lock is not None and chart.lock.digest.startswith("sha256:")

    shutil.rmtree(root / "charts")
    dependency_update.build(str(root))
    assert len(list((root / "charts").iterdir())) == 3

    (root / "Chart.yaml").write_text((root / "Chart.yaml").read_text().replace("~0.1.0",
                                                                                "~0.1.1"))
    with pytest.raises(ChartError, match="out of sync"):
        dependency_update.build(str(root))


def test_unsatisfiable_constraints_and_unknown_repositories(served: str, user_dirs: Path,
                                                            tmp_path: Path) -> None:
    root = _parent(tmp_path, f"  - name: demo\n    version: ^9.0.0\n    repository: {served}\n")
    with pytest.raises(RepoError, match=r'"demo" version "\^9\.0\.0" not found'):
        dependency_update.update(str(root))
    root = _parent(tmp_path / "b", "  - name: demo\n    version: ^0.1.0\n"
                                   "    repository: '@nowhere'\n")
    with pytest.raises(RepoError, match='no repository named "nowhere"'):
        dependency_update.update(str(root))


@pytest.mark.helm
def test_helm_accepts_a_pyhelm_chart_lock(tmp_path: Path) -> None:
    from pyhelm.testing.peers import helm_binary, helm_env

    shutil.copytree(ROOT / "charts/uses-lib", tmp_path / "uses-lib")
    shutil.copytree(ROOT / "charts/common-lib", tmp_path / "common-lib")
    dependency_update.update(str(tmp_path / "uses-lib"))
    env = helm_env(tmp_path)
    done = subprocess.run([str(helm_binary()), "dependency", "build",
                           str(tmp_path / "uses-lib")], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "out of sync" not in done.stdout + done.stderr


@pytest.mark.helm
@pytest.mark.parametrize("verb", ["build", "update"])
def test_a_chart_without_dependencies_is_left_as_helm_leaves_it(tmp_path: Path,
                                                                verb: str) -> None:
    """helmfile runs `dependency build` on every chart: one that declares no
    dependencies must get no Chart.lock and no charts/ (Helm's own build of it would
    then fail: "lock file is out of sync")."""
    import sys

    from pyhelm.testing.peers import helm_binary, helm_env

    env = helm_env(tmp_path)
    outputs = []
    for tool in (str(helm_binary()), str(Path(sys.executable).with_name("pyhelm"))):
        chart = tmp_path / Path(tool).name / "nodeps"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: nodeps\nversion: 1.0.0\n")
        done = subprocess.run([tool, "dependency", verb, str(chart)], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        outputs.append((done.returncode, done.stdout, done.stderr,
                        sorted(p.name for p in chart.iterdir())))
        again = subprocess.run([str(helm_binary()), "dependency", "build", str(chart)],
                               env=env, capture_output=True, text=True, timeout=60,
                               check=False)
        assert again.returncode == 0, again.stderr
    assert outputs[1] == outputs[0]
    assert outputs[0][3] == ["Chart.yaml", "templates"]


def test_update_refreshes_added_repositories_unless_skip_refresh(
        served: str, user_dirs: Path, tmp_path: Path) -> None:
    """As Helm: the added repositories' indexes are refreshed first (a version published
    since `repo add` is seen), except with --skip-refresh (the cached index is used)."""
    import sys

    pyhelm = str(Path(sys.executable).with_name("pyhelm"))
    env = {**__import__("os").environ, "PYHELM_COMMAND_SERVER": "0"}
    subprocess.run([pyhelm, "repo", "add", "local", served], env=env, check=True,
                   capture_output=True)
    write_package(ROOT / "charts/demo", tmp_path / "repo", version="0.9.0")  # published later
    root = _parent(tmp_path, "  - name: demo\n    version: '*'\n    repository: '@local'\n")
    versions = []
    for flags in (["--skip-refresh"], []):
        done = subprocess.run([pyhelm, "dependency", "update", str(root), *flags], env=env,
                              capture_output=True, text=True, check=True)
        versions.append(sorted(p.name for p in (root / "charts").iterdir()))
        assert ("Hang tight while we grab the latest" in done.stdout) == (not flags)
    assert versions[0] != ["demo-0.9.0.tgz"] and versions[1] == ["demo-0.9.0.tgz"]


def test_package_dependency_update_fetches_dependencies_first(
        served: str, user_dirs: Path, tmp_path: Path) -> None:
    """`package -u`: Helm's --dependency-update, the dependencies in the archive."""
    import sys
    import tarfile

    pyhelm = str(Path(sys.executable).with_name("pyhelm"))
    env = {**__import__("os").environ, "PYHELM_COMMAND_SERVER": "0"}
    subprocess.run([pyhelm, "repo", "add", "local", served], env=env, check=True,
                   capture_output=True)
    root = _parent(tmp_path, "  - name: demo\n    version: '*'\n    repository: '@local'\n")
    done = subprocess.run([pyhelm, "package", str(root), "-u", "-d", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, check=True)
    assert "Successfully packaged chart" in done.stdout
    with tarfile.open(tmp_path / "out" / "parent-1.0.0.tgz") as archive:
        assert any(n.startswith("parent/charts/demo-") for n in archive.getnames())
