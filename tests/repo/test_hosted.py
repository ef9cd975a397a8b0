"""The derived index (pyhelm.repo.hosted) on a real directory: what a replica reads to
keep its index current, and how it recovers metadata a crash or a copy left missing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.repo.hosted import META_PREFIX, HostedRepository
from pyhelm.repo.storage import StorageError
from pyhelm.repo.storage.local import LocalStorage

ROOT = Path(__file__).resolve().parents[2]


class CountingStorage(LocalStorage):
    """A real directory that counts the objects it is asked to read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def get(self, key: str) -> bytes:
        self.reads.append(key)
        return super().get(key)


def test_replicas_read_only_what_changed(tmp_path: Path) -> None:
    for i in range(30):
        write_package(ROOT / "charts/demo", tmp_path / "repo", version=f"1.0.{i}")
    first_storage = CountingStorage(tmp_path / "repo")
    first = HostedRepository(first_storage, index_ttl=0)
    assert len(first.index().index.entries["demo"]) == 30  # metadata made from packages
    assert len([k for k in first_storage.reads if k.endswith(".tgz")]) == 30

    second_storage = CountingStorage(tmp_path / "repo")
    second = HostedRepository(second_storage, index_ttl=0)
    snapshot = second.index()
    assert second_storage.reads == ["index.yaml"]  # adopted: the stored index matches
    assert snapshot.body == first.index().body  # byte-identical across replicas

    def upload_through_first(version: str) -> list[str]:
        package = write_package(ROOT / "charts/demo", tmp_path / "up", version=version)
        first.upload(package.read_bytes())
        second_storage.reads.clear()
        assert version in {v.version for v in second.index().index.entries["demo"]}
        return [k for k in second_storage.reads if k.startswith(META_PREFIX)]

    # a replica that adopted the stored index reads every metadata object once, on the
    # first change it sees; from then on only new ones
    assert len(upload_through_first("2.0.0")) == 31
    assert upload_through_first("2.0.1") == [f"{META_PREFIX}demo-2.0.1.tgz.json"]
    assert not [k for k in second_storage.reads if k.endswith(".tgz")]  # no package read


def test_missing_or_stale_metadata_is_rebuilt_from_the_package(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "repo")
    repo = HostedRepository(storage, index_ttl=0)
    old = write_package(ROOT / "charts/demo", tmp_path / "a", version="1.0.0").read_bytes()
    repo.upload(old)
    # a crash between the package and its metadata, or a package copied in by hand
    storage.delete(f"{META_PREFIX}demo-1.0.0.tgz.json")
    assert [v.version for v in repo.index().index.entries["demo"]] == ["1.0.0"]
    assert storage.get(f"{META_PREFIX}demo-1.0.0.tgz.json")
    # a package replaced behind the server's back: the metadata names another etag
    (tmp_path / "repo" / "demo-1.0.0.tgz").write_bytes(
        write_package(ROOT / "charts/platform", tmp_path / "c").read_bytes())
    entries = repo.index().index.entries
    assert "demo" not in entries and [v.version for v in entries["platform"]] == ["0.1.0"]
    # a file that is not a chart is never indexed
    storage.put("junk-1.0.0.tgz", b"not a chart")
    assert set(repo.index().index.entries) == {"platform"}


class FailingStorage(LocalStorage):
    """A real directory where reading some objects fails as an outage would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.failing: set[str] = set()

    def get(self, key: str) -> bytes:
        if key in self.failing:
            raise StorageError(f"cannot read {key}: Input/output error")
        return super().get(key)


def test_a_package_that_cannot_be_read_is_left_out_and_retried(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for version in ("1.0.0", "2.0.0"):
        write_package(ROOT / "charts/demo", tmp_path / "repo", version=version)
    storage = FailingStorage(tmp_path / "repo")
    storage.failing.add("demo-2.0.0.tgz")
    repo = HostedRepository(storage, index_ttl=0)
    with caplog.at_level(logging.WARNING, "pyhelm.repo.hosted"):
        assert [v.version for v in repo.index().index.entries["demo"]] == ["1.0.0"]
        repo.index()
    assert [r.getMessage() for r in caplog.records] == [
        "demo-2.0.0.tgz left out of index.yaml: cannot read demo-2.0.0.tgz: "
        "Input/output error"]  # once, not at every refresh
    # an index with a hole is never taken as complete by another replica
    other = HostedRepository(LocalStorage(tmp_path / "repo"), index_ttl=0)
    assert [v.version for v in other.index().index.entries["demo"]] == ["2.0.0", "1.0.0"]
    storage.failing.clear()
    assert [v.version for v in repo.index().index.entries["demo"]] == ["2.0.0", "1.0.0"]


def test_an_index_with_a_hole_is_not_rewritten_while_the_hole_stays(tmp_path: Path) -> None:
    write_package(ROOT / "charts/demo", tmp_path / "repo", version="1.0.0")
    write_package(ROOT / "charts/demo", tmp_path / "repo", version="2.0.0")
    storage = FailingStorage(tmp_path / "repo")
    storage.failing.add("demo-2.0.0.tgz")
    rebuilds: list[int] = []
    repo = HostedRepository(storage, index_ttl=0, on_rebuild=lambda: rebuilds.append(1))
    first = repo.index()
    for _ in range(3):
        assert repo.index().body == first.body
    assert len(rebuilds) == 1
