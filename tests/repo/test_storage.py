"""One contract for every repository storage backend: the local directory and a real
S3-compatible server (SeaweedFS on 127.0.0.1). Each test runs against both."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pyhelm.repo.storage import (
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    Storage,
    StorageError,
    open_storage,
)


def test_put_get_list_delete_round_trip(storage: Storage) -> None:
    assert storage.list() == []
    first = storage.put("demo-0.1.0.tgz", b"package bytes")
    storage.put(".pyhelm/meta/demo-0.1.0.tgz.json", b"{}")
    assert storage.get("demo-0.1.0.tgz") == b"package bytes"
    listing = storage.list()
    assert [o.key for o in listing] == [".pyhelm/meta/demo-0.1.0.tgz.json", "demo-0.1.0.tgz"]
    assert listing[1].size == len(b"package bytes") and listing[1].etag == first.etag
    assert listing[1].mtime > 0
    assert [o.key for o in storage.list(".pyhelm/")] == [".pyhelm/meta/demo-0.1.0.tgz.json"]
    assert storage.delete("demo-0.1.0.tgz") is True
    assert storage.delete("demo-0.1.0.tgz") is False
    with pytest.raises(ObjectNotFound):
        storage.get("demo-0.1.0.tgz")


def test_overwrite_changes_the_etag_and_put_if_absent_refuses(storage: Storage) -> None:
    first = storage.put("a.tgz", b"one")
    with pytest.raises(ObjectExists, match=r"a\.tgz already exists"):
        storage.put("a.tgz", b"two", overwrite=False)
    assert storage.get("a.tgz") == b"one"
    second = storage.put("a.tgz", b"two!")
    assert storage.get("a.tgz") == b"two!"
    assert second.etag != first.etag
    assert {o.key: o.etag for o in storage.list()}["a.tgz"] == second.etag


def test_concurrent_put_if_absent_has_exactly_one_winner(storage: Storage) -> None:
    results: list[str] = []

    def put(i: int) -> None:
        try:
            storage.put("race.tgz", f"writer {i}".encode(), overwrite=False)
            results.append(f"won {i}")
        except ObjectExists:
            results.append("lost")

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if r.startswith("won")]
    assert len(results) == 8 and len(winners) == 1
    assert storage.get("race.tgz") == f"writer {winners[0].split()[1]}".encode()


@pytest.mark.parametrize("key", ["../escape.tgz", "/abs.tgz", "a//b.tgz", "a/./b", "",
                                 "a" * 252 + ".tgz", "b/" * 600 + "c.tgz"])
def test_keys_that_could_escape_or_no_backend_can_store_are_refused(storage: Storage,
                                                                   key: str) -> None:
    for call in (lambda: storage.put(key, b"x"), lambda: storage.get(key),
                 lambda: storage.delete(key)):
        with pytest.raises(InvalidKey, match="invalid object key"):
            call()


def test_listing_many_objects_pages(storage: Storage) -> None:
    for i in range(1100 if "s3" in storage.url else 50):
        storage.put(f"many/{i:05d}.tgz", b"x")
    keys = [o.key for o in storage.list("many/")]
    assert len(keys) == (1100 if "s3" in storage.url else 50) and keys == sorted(keys)


def test_local_writes_leave_no_temp_files_and_are_world_readable(tmp_path: Path) -> None:
    storage = open_storage(f"file://{tmp_path}/repo")
    storage.put("x.tgz", b"data")
    with pytest.raises(ObjectExists):
        storage.put("x.tgz", b"data", overwrite=False)
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["x.tgz"]
    assert oct((tmp_path / "repo" / "x.tgz").stat().st_mode & 0o777) == "0o644"
    assert open_storage(str(tmp_path / "repo")).get("x.tgz") == b"data"


def test_unsupported_storage_urls_are_one_line_errors() -> None:
    with pytest.raises(StorageError, match="unsupported storage URL 'gs://b'"):
        open_storage("gs://b")


def test_pyhelm_and_other_commands_never_import_the_server_stack() -> None:
    import subprocess
    import sys

    code = ("import sys, pyhelm, pyhelm.cli.entry, pyhelm.repo.storage\n"
            "from click.testing import CliRunner\n"
            "from pyhelm.cli.main import cli\n"
            "assert CliRunner().invoke(cli, ['repo', 'list']).exit_code == 0\n"
            "assert CliRunner().invoke(cli, ['repo', 'serve', '--help']).exit_code == 0\n"
            "print(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client', "
            "'multipart', 'python_multipart', 'obstore', 'anyio') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                                            "XDG_CONFIG_HOME": "/nonexistent"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
