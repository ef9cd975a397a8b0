"""Credentials of ``repo serve`` (security audit, finding 1): basic auth only against a
configured non-empty password, for one repository and for tenants, for writes and for
reads; credentials that are not ASCII are refused, not an error."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pyhelm.repo.server import ServerSettings

from .server_client import AUTH, BEARER, MakeChart, Serve, basic, request


@pytest.mark.parametrize("password", [None, ""])
def test_basic_auth_with_an_empty_password_is_refused(
        password: str | None, tmp_path: Path, serve_repository: Serve,
        chart_package: MakeChart) -> None:
    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                          enable_upload=True, username="admin",
                                          password=password, token="t0ken",
                                          auth_reads=True))
    empty = basic("admin", "")
    data = chart_package("demo", "1.0.0")
    assert request(f"{url}/api/charts", data, "POST", empty)[0] == 401
    assert request(f"{url}/index.yaml", headers=empty)[0] == 401
    assert request(f"{url}/api/charts", data, "POST", BEARER)[0] == 201
    assert request(f"{url}/api/charts/demo/1.0.0", method="DELETE", headers=empty)[0] == 401
    assert request(f"{url}/api/charts/demo/1.0.0", method="DELETE", headers=BEARER)[0] == 200


def test_a_tenant_with_a_username_and_only_a_token_refuses_basic_auth(
        tmp_path: Path, serve_repository: Serve, chart_package: MakeChart) -> None:
    url = serve_repository(ServerSettings(
        directory=tmp_path / "repo", port=0, enable_upload=True, auth_reads=True,
        tenants={"team-c": {"username": "c", "token": "c-token"}}))
    empty = basic("c", "")
    data = chart_package("demo", "1.0.0")
    assert request(f"{url}/api/team-c/charts", data, "POST", empty)[0] == 401
    assert request(f"{url}/team-c/index.yaml", headers=empty)[0] == 401
    assert request(f"{url}/api/team-c/charts", data, "POST",
                   {"Authorization": "Bearer c-token"})[0] == 201


def test_credentials_that_are_not_ascii_are_refused_not_an_error(
        tmp_path: Path, serve_repository: Serve) -> None:
    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                          enable_upload=True, username="admin",
                                          password="secret", token="t0ken",
                                          auth_reads=True))
    for header in ("Bearer t\xe9", "Basic " + base64.b64encode("admin:s\xe9cret".encode()
                                                               ).decode(), "Basic %%%"):
        assert request(f"{url}/index.yaml", headers={"Authorization": header})[0] == 401
    assert request(f"{url}/index.yaml", headers=AUTH)[0] == 200
