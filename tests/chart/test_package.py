"""Packaging: Helm's NAME/... layout, .helmignore, overrides and byte-stable output."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from pyhelm.chart.loader import load_chart
from pyhelm.chart.package import write_package
from pyhelm.errors import ChartError


def _chart(root: Path) -> Path:
    chart = root / "mychart"
    (chart / "templates").mkdir(parents=True)
    (chart / "charts" / "sub" / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: mychart\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "templates" / "cm.yaml.j2").write_text("kind: ConfigMap\n")
    sub_yaml = "apiVersion: v2\nname: sub\nversion: 1.0.0\n"
    (chart / "charts" / "sub" / "Chart.yaml").write_text(sub_yaml)
    (chart / "notes.bak").write_text("ignored\n")
    (chart / ".helmignore").write_text("*.bak\n")
    return chart


def test_two_packages_are_byte_identical_with_helm_layout(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    first = write_package(chart, tmp_path / "a")
    (chart / "values.yaml").touch()  # a newer mtime must not change the bytes
    second = write_package(chart, tmp_path / "b")
    assert first.name == "mychart-0.1.0.tgz"
    assert first.read_bytes() == second.read_bytes()
    listing = subprocess.run(["tar", "-tzf", str(first)], check=True, capture_output=True,
                             text=True).stdout.split()
    assert listing == sorted(listing)
    assert "mychart/Chart.yaml" in listing
    assert "mychart/templates/cm.yaml.j2" in listing
    assert "mychart/charts/sub/Chart.yaml" in listing
    assert not any(name.endswith(".bak") for name in listing)
    with tarfile.open(first) as tar:
        assert {(m.mtime, m.uid, m.gid) for m in tar.getmembers()} == {(0, 0, 0)}


def test_version_overrides_reach_the_packaged_chart_yaml(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    package = write_package(chart, tmp_path / "out", version="2.0.0-rc.1", app_version="9.9")
    assert package.name == "mychart-2.0.0-rc.1.tgz"
    loaded = load_chart(package)
    assert (loaded.metadata.version, loaded.metadata.app_version) == ("2.0.0-rc.1", "9.9")
    assert [sub.name for sub in loaded.subcharts] == ["sub"]


def test_invalid_override_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match=r'"1\.x" is not a valid SemVer 2'):
        write_package(_chart(tmp_path), tmp_path / "out", version="1.x")
