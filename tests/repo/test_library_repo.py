"""The library's repository functions against a served repository: add, update,
search, pull, and dependency update, as a Python caller uses them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pyhelm

ROOT = Path(__file__).resolve().parents[2]


def test_repo_add_update_search_pull_and_dependency_update(served: str, user_dirs: Path,
                                                           tmp_path: Path) -> None:
    with pytest.raises(pyhelm.RepoError):
        pyhelm.repo_add("nowhere", "http://127.0.0.1:9/")
    pyhelm.repo_add("local", served)
    assert pyhelm.repo_update() == ["local"]
    hits = pyhelm.repo_search("demo")
    assert [(hit.name, hit.version) for hit in hits] == [("local/demo", "0.1.0")]
    assert all(isinstance(hit, pyhelm.SearchHit) for hit in hits)

    pulled = pyhelm.pull_chart("local/demo", destination=str(tmp_path / "out"))
    assert pulled == tmp_path / "out" / "demo-0.1.0.tgz"
    assert pyhelm.load_chart(str(pulled)).metadata.name == "demo"
    rendered = pyhelm.render_chart("local/demo", release_name="web")
    assert any(o["kind"] == "Deployment" for o in rendered.objects)

    chart = tmp_path / "app"
    shutil.copytree(ROOT / "charts/uses-lib", chart)
    shutil.copytree(ROOT / "charts/common-lib", tmp_path / "common-lib")
    with (chart / "Chart.yaml").open("a") as extra:
        extra.write("  - name: demo\n    version: ^0.1.0\n    repository: '@local'\n")
    locked = pyhelm.dependency_update(str(chart))
    assert [(d["name"], d["version"]) for d in locked] == [("common-lib", "0.1.0"),
                                                           ("demo", "0.1.0")]
    assert sorted(p.name for p in (chart / "charts").iterdir()) == [
        "common-lib-0.1.0.tgz", "demo-0.1.0.tgz"]
    assert (chart / "Chart.lock").is_file()
