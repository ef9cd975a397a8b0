"""Fixtures for repository tests: isolated user directories and a served repository."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

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
def served(tmp_path: Path) -> Iterator[str]:
    directory = tmp_path / "repo"
    for chart in ("demo", "platform", "common-lib"):
        write_package(ROOT / "charts" / chart, directory)
    server = make_server(ServerSettings(directory=directory, port=0, enable_upload=True,
                                        username="admin", password="secret"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
