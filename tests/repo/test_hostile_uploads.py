"""Uploads meant to break the repository for everyone (security audit, findings 2 and 4,
and the nested schema of 5): a chart name too long for the storage is refused, and one
stored before that rule fails nothing; two charts whose packages would share
``NAME-VERSION.tgz`` cannot both be stored; a file nested too deeply is a bad upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyhelm.repo.server import ServerSettings

from .server_client import AUTH, MakeChart, Serve, index_names, request


@pytest.fixture
def server(tmp_path: Path, serve_repository: Serve) -> str:
    return serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                           enable_upload=True, username="admin",
                                           password="secret", index_ttl=0))


def test_a_chart_name_too_long_for_the_storage_is_refused_with_the_reason(
        server: str, chart_package: MakeChart) -> None:
    status, body = request(f"{server}/api/charts", chart_package("a" * 245, "1.0.0"),
                           "POST", AUTH)
    assert status == 400, body
    assert json.loads(body)["error"] == ("chart name is 245 characters long: at most 128 "
                                         "(every file a chart is stored as must fit in "
                                         "255 bytes)")
    longest = "b" * 128
    assert request(f"{server}/api/charts", chart_package(longest, "1.0.0"), "POST",
                   AUTH)[0] == 201
    assert index_names(server) == {longest}


def test_a_package_stored_before_the_name_limit_fails_neither_index_nor_start_nor_delete(
        tmp_path: Path, serve_repository: Serve, chart_package: MakeChart) -> None:
    directory = tmp_path / "repo"
    directory.mkdir()
    long_name = "a" * 245  # its metadata object's name would be 260 bytes
    (directory / f"{long_name}-1.0.0.tgz").write_bytes(chart_package(long_name, "1.0.0"))
    (directory / "demo-1.0.0.tgz").write_bytes(chart_package("demo", "1.0.0"))
    url = serve_repository(ServerSettings(directory=directory, port=0, enable_upload=True,
                                          username="admin", password="secret",
                                          index_ttl=0))
    assert index_names(url) == {"demo"}
    assert request(f"{url}/api/charts/{long_name}/1.0.0", method="DELETE",
                   headers=AUTH)[0] == 200
    assert not (directory / f"{long_name}-1.0.0.tgz").exists()
    assert index_names(url) == {"demo"}
    assert "pyhelm_repo_storage_errors_total 0.0" in request(f"{url}/metrics")[1].decode()


@pytest.mark.parametrize("allow_overwrite", [False, True])
def test_a_chart_whose_package_name_another_chart_holds_is_refused(
        allow_overwrite: bool, tmp_path: Path, serve_repository: Serve,
        chart_package: MakeChart) -> None:
    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                          enable_upload=True, username="admin",
                                          password="secret", index_ttl=0,
                                          allow_overwrite=allow_overwrite))
    first = chart_package("a-1.0.0", "1.0.0")
    assert request(f"{url}/api/charts", first, "POST", AUTH)[0] == 201
    status, body = request(f"{url}/api/charts", chart_package("a", "1.0.0-1.0.0"), "POST",
                           AUTH)
    assert status == 409
    assert json.loads(body)["error"] == ("a-1.0.0-1.0.0.tgz already holds chart a-1.0.0 "
                                         "version 1.0.0")
    assert request(f"{url}/api/charts/a/1.0.0-1.0.0", method="DELETE",
                   headers=AUTH)[0] == 404
    assert request(f"{url}/a-1.0.0-1.0.0.tgz")[1] == first
    assert index_names(url) == {"a-1.0.0"}
    if allow_overwrite:  # the same chart may still replace itself
        assert request(f"{url}/api/charts", first, "POST", AUTH)[0] == 201


def test_a_deeply_nested_values_schema_is_a_bad_upload(server: str,
                                                       chart_package: MakeChart) -> None:
    data = chart_package("deep", "1.0.0", schema=b"[" * 50_000 + b"]" * 50_000)
    status, body = request(f"{server}/api/charts", data, "POST", AUTH)
    assert status == 400, body
    assert b"nested too deeply" in body
