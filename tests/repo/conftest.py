"""Fixtures for repository tests: isolated user directories and a served repository."""

from __future__ import annotations

import dataclasses
import io
import tarfile
import threading
import time
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
    """Start repository servers (uvicorn, in a thread) on 127.0.0.1 for one test, stopped
    after it; each call returns the server's URL once it accepts connections."""
    servers: list[Any] = []

    def start(settings: ServerSettings) -> str:
        server = make_server(dataclasses.replace(settings, access_log=False))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "repository server did not start"
            time.sleep(0.01)
        host, port = server.server_address[:2]
        scheme = "https" if settings.tls_cert else "http"
        return f"{scheme}://{host}:{port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def package(tmp_path: Path) -> Callable[[str], Path]:
    """charts/demo packaged at a given version."""
    return lambda version: write_package(ROOT / "charts/demo", tmp_path / "pkgs",
                                         version=version)


@pytest.fixture
def chart_package() -> Callable[..., bytes]:
    """A minimal chart NAME at VERSION as a package (with a values.schema.json if given,
    which is not checked: a package as a client may send it)."""

    def make(name: str, version: str, schema: bytes | None = None) -> bytes:
        files = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()}
        if schema is not None:
            files["values.schema.json"] = schema
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for path, data in files.items():
                info = tarfile.TarInfo(f"{name}/{path}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    return make


@pytest.fixture
def served(tmp_path: Path, serve_repository: Callable[[ServerSettings], str]) -> str:
    directory = tmp_path / "repo"
    for chart in ("demo", "platform", "common-lib"):
        write_package(ROOT / "charts" / chart, directory)
    # index_ttl=0: packages the tests drop into the directory show in the next index
    return serve_repository(ServerSettings(directory=directory, port=0, enable_upload=True,
                                           username="admin", password="secret", index_ttl=0))


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3-compatible server (SeaweedFS ``weed mini``) on 127.0.0.1 for the session."""
    from pyhelm.testing.seaweedfs import SeaweedFS

    server = SeaweedFS.start(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


_prefixes = iter(range(1, 1_000_000))


@pytest.fixture
def s3_url(seaweedfs: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh prefix in the test S3 server's bucket; credentials in the environment."""
    from pyhelm.testing.seaweedfs import BUCKET

    for key, value in seaweedfs.env().items():
        monkeypatch.setenv(key, value)
    return f"s3://{BUCKET}/test-{next(_prefixes)}/charts"


@pytest.fixture(params=["file", "s3"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return f"file://{tmp_path}/store"
    return str(request.getfixturevalue("s3_url"))


@pytest.fixture
def storage(storage_url: str) -> Any:
    from pyhelm.repo.storage import open_storage

    return open_storage(storage_url)
