"""Fixtures for repository tests: isolated user directories and a served repository."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.chart.package import write_package
from pyhelm.repo.server import ServerSettings, make_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def serve_repository() -> Iterator[Callable[[ServerSettings], str]]:
    """Start repository servers on 127.0.0.1 for one test (stopped after it); each call
    returns the server's URL."""
    servers: list[Any] = []

    def start(settings: ServerSettings) -> str:
        server = make_server(settings)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(tmp_path: Path, serve_repository: Callable[[ServerSettings], str]) -> str:
    directory = tmp_path / "repo"
    for chart in ("demo", "platform", "common-lib"):
        write_package(ROOT / "charts" / chart, directory)
    return serve_repository(ServerSettings(directory=directory, port=0, enable_upload=True,
                                           username="admin", password="secret"))
