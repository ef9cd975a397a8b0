"""Loading charts: metadata validation, subcharts, .helmignore, and archive safety."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from pyhelm.chart.archive import MAX_UNPACKED_BYTES
from pyhelm.chart.loader import load_chart, load_files
from pyhelm.errors import ChartError, ValuesError

CHARTS = Path(__file__).resolve().parents[2] / "charts"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_loads_directories_archives_and_subcharts() -> None:
    chart = load_chart(CHARTS / "platform")
    assert chart.metadata.name == "platform"
    assert sorted(s.name for s in chart.subcharts) == ["backend", "frontend"]
    assert chart.metadata.dependencies[1].alias == "api"
    uses_lib = load_chart(CHARTS / "uses-lib")
    assert uses_lib.subcharts[0].metadata.is_library
    crds = load_chart(CHARTS / "crd-example")
    assert [f.name for f in crds.crds] == ["crds/widgets.yaml"]


def test_helmignore_and_files(tmp_path: Path) -> None:
    root = _write(tmp_path / "c", {
        "Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        ".helmignore": "*.bak\nsecret/\n", "notes.txt": "kept", "old.bak": "x",
        "secret/key": "x", "templates/a.yaml": ""})
    chart = load_chart(root)
    assert sorted(f.name for f in chart.files) == [".helmignore", "notes.txt"]


def test_symlinks_are_followed_out_of_the_chart_as_in_helm(tmp_path: Path) -> None:
    """A subchart linked from beside the chart loads, as in Helm; a link to anything but
    a regular file (here a device) is refused, in Helm's words."""
    shared = _write(tmp_path / "common", {
        "Chart.yaml": "apiVersion: v2\nname: common\nversion: 0.1.0\n"})
    root = _write(tmp_path / "c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
    (root / "charts").mkdir()
    (root / "charts" / "common").symlink_to(shared)
    assert [s.name for s in load_chart(root).subcharts] == ["common"]
    (root / "null").symlink_to("/dev/null")
    with pytest.raises(ChartError, match=r"cannot load irregular file .*/null as it has file "
                                         r"mode type bits set"):
        load_chart(root)


def test_symlinks_inside_the_chart_are_followed_and_loops_refused(tmp_path: Path) -> None:
    """A subchart linked from elsewhere in the chart loads, as Helm loads it."""
    root = _write(tmp_path / "c", {
        "Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        "vendor/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        "vendor/sub/templates/cm.yaml": "kind: ConfigMap"})
    (root / "charts").mkdir()
    (root / "charts" / "sub").symlink_to(root / "vendor" / "sub")
    assert [s.name for s in load_chart(root).subcharts] == ["sub"]
    (root / "vendor" / "loop").symlink_to(root / "vendor")
    with pytest.raises(ChartError, match="symbolic link loop"):
        load_chart(root)


def test_requirements_yaml_of_an_apiversion_v1_chart() -> None:
    chart = load_files({
        "Chart.yaml": b"apiVersion: v1\nname: old\nversion: 1.0.0\n",
        "requirements.yaml": b"dependencies:\n- {name: db, version: 1.x, repository: x}\n",
        "requirements.lock": b"dependencies:\n- {name: db, version: 1.2.0}\ndigest: d\n"},
        "old")
    assert [d.name for d in chart.metadata.dependencies] == ["db"]
    assert chart.lock is not None and chart.lock.dependencies[0].version == "1.2.0"


def test_values_yaml_errors_name_the_file_and_line(tmp_path: Path) -> None:
    root = _write(tmp_path / "c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                                   "values.yaml": "a: 1\nb: [\n"})
    with pytest.raises(ValuesError, match=r"c/values.yaml: line 3"):
        load_chart(root)


def _archive(tmp_path: Path, members: list[tarfile.TarInfo], data: bytes = b"") -> Path:
    path = tmp_path / "evil.tgz"
    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("c/Chart.yaml")
        chart_yaml = b"apiVersion: v2\nname: c\nversion: 1.0.0\n"
        good.size = len(chart_yaml)
        tar.addfile(good, io.BytesIO(chart_yaml))
        for member in members:
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0,
            link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.linkname = link
    return info


@pytest.mark.parametrize(("member", "message"), [
    (_member("c/../../etc/evil"), "chart illegally references parent directory"),
    (_member("c//etc/evil"), "chart illegally contains absolute paths"),
    (_member("c/link", tarfile.SYMTYPE, link="/etc/passwd"), "is a link"),
    (_member("c/hard", tarfile.LNKTYPE, link="c/Chart.yaml"), "is a link"),
    (_member("c/dev", tarfile.CHRTYPE), "not a regular file"),
])
def test_archive_attacks_are_refused(tmp_path: Path, member: tarfile.TarInfo,
                                     message: str) -> None:
    with pytest.raises(ChartError, match=message):
        load_chart(_archive(tmp_path, [member]))


def test_archive_size_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    # a header that claims more than the limit: refused from the header alone
    path = tmp_path / "bomb.tgz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        chart_yaml = b"apiVersion: v2\nname: c\nversion: 1.0.0\n"
        info = tarfile.TarInfo("c/Chart.yaml")
        info.size = len(chart_yaml)
        tar.addfile(info, io.BytesIO(chart_yaml))
        big = tarfile.TarInfo("c/big")
        big.size = MAX_UNPACKED_BYTES + 1
        tar.addfile(big, _Zeros(big.size))
    import gzip

    path.write_bytes(gzip.compress(raw.getvalue(), compresslevel=1))
    with pytest.raises(ChartError, match="decompressed chart is larger than the maximum size "
                                         "104857600"):
        load_chart(path)


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"\0" * n


@pytest.mark.parametrize(("chart_yaml", "message"), [
    ("apiVersion: v3\nname: c\nversion: 1.0.0\n", "unsupported chart version"),
    ("apiVersion: v2\nversion: 1.0.0\n", "validation: chart.metadata.name is required"),
    ("apiVersion: v2\nname: c\nversion: 1.0.0-01\n",
     'validation: chart.metadata.version "1.0.0-01" is invalid'),
    ("apiVersion: v2\nname: c\nversion: 1.0.0\ntype: app\n",
     "validation: chart.metadata.type must be application or library"),
    ("apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies: [{version: 1}]\n", "needs a name"),
    ("apiVersion: v2\nname: c\nversion: 1.0.0\nkeywords: x\n", 'field "keywords"'),
])
def test_chart_yaml_errors_name_the_field(tmp_path: Path, chart_yaml: str, message: str) -> None:
    root = _write(tmp_path / "c", {"Chart.yaml": chart_yaml})
    with pytest.raises(ChartError, match=message):
        load_chart(root)


@pytest.mark.parametrize("version", ["1", "1.0", "v1.2.3", "1.2-beta.5", "01.2.3"])
def test_lenient_chart_versions_load_as_in_helm(version: str) -> None:
    """Helm checks Chart.yaml's version with Masterminds' NewVersion, not strict SemVer."""
    chart = load_files({"Chart.yaml": f"apiVersion: v2\nname: c\nversion: {version}\n".encode()},
                       "c")
    assert chart.metadata.version == version


@pytest.mark.parametrize(("dependencies", "message"), [
    ("- {name: a}\n- {name: a}\n", 'more than one dependency with name or alias "a"'),
    ("- {name: a, alias: b}\n- {name: b}\n", 'more than one dependency with name or alias "b"'),
    ("- {name: a, alias: 'no/slash'}\n", 'dependency "a" has disallowed characters in the '
                                        "alias"),
])
def test_dependency_names_and_aliases_checked_as_helm(dependencies: str, message: str) -> None:
    meta = f"apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n{dependencies}"
    with pytest.raises(ChartError, match=message):
        load_files({"Chart.yaml": meta.encode()}, "c")


def test_control_characters_are_cleaned_as_helm_does() -> None:
    meta = 'apiVersion: v2\nname: c\nversion: 1.0.0\ndescription: "a\\tb\\u0007c"\n'
    chart = load_files({"Chart.yaml": meta.encode()}, "c")
    assert chart.metadata.description == "a bc"


@pytest.mark.parametrize("link", ["templates/leak.yaml", "files/key", ".helmignore",
                                  "charts/sub/templates/leak.yaml"])
def test_a_file_linked_out_of_the_chart_is_refused(tmp_path: Path, link: str) -> None:
    """A cloned chart cannot read the user's files: a link to a file outside the chart
    (or outside a subchart linked under charts/) is refused, in one line."""
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    sub = _write(tmp_path / "sub", {"Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
                                    "templates/cm.yaml": "kind: ConfigMap"})
    root = _write(tmp_path / "c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
    (root / "charts").mkdir()
    (root / "charts" / "sub").symlink_to(sub)
    assert [s.name for s in load_chart(root).subcharts] == ["sub"]
    target = root / link if not link.startswith("charts/sub/") else sub / link.removeprefix(
        "charts/sub/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(secret)
    with pytest.raises(ChartError, match=r"links to .*id_rsa, outside the chart"):
        load_chart(root)


def test_an_invalid_helmignore_line_is_one_line_without_its_text(tmp_path: Path) -> None:
    root = _write(tmp_path / "c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
                                   ".helmignore": "ok\nsecret-ish\\\n"})
    with pytest.raises(ChartError, match=r"\.helmignore: line 2: not a valid pattern$"):
        load_chart(root)


def test_a_huge_sparse_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """1.5 GB that takes no disk: its size is checked before a byte of it is read."""
    import resource

    root = _write(tmp_path / "c", {"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
    with (root / "big.bin").open("wb") as sparse:
        sparse.truncate(1500 * 1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ChartError, match="chart exceeds maximum decompressed size"):
        load_chart(root)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024
