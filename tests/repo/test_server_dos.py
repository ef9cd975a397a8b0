"""Unauthenticated denial of service against ``repo serve`` (security audit, finding 3
and the request heads of 5): made-up methods in the metrics, request heads that never
end or are too large, keys no storage can hold, and running out of file descriptors."""

from __future__ import annotations

import http.client
import os
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pyhelm.repo.server import ServerSettings
from pyhelm.testing.seaweedfs import free_port

from .server_client import PYHELM, Serve, request, wait_healthy


@pytest.fixture
def server(tmp_path: Path, serve_repository: Serve) -> str:
    return serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                           enable_upload=True, username="admin",
                                           password="secret", index_ttl=0))


def test_made_up_methods_do_not_grow_the_metrics(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    for i in range(100):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request(f"X{i}", "/index.yaml")
        assert conn.getresponse().status in (400, 404, 405)
        conn.close()
    metrics = request(f"{server}/metrics")[1].decode()
    assert 'method="X' not in metrics
    assert 'pyhelm_repo_requests_total{method="other",route="/index.yaml",status="405"} ' \
           '100.0' in metrics


def test_a_request_head_must_arrive_within_the_head_timeout(
        tmp_path: Path, serve_repository: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhelm.repo.server import _uvicorn_options

    protocol = _uvicorn_options(ServerSettings())["http"]
    monkeypatch.setattr(protocol, "head_timeout", 1.0, raising=False)
    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0))
    port = int(url.rsplit(":", 1)[1])

    def closed_after(trickle: bool) -> float:
        """Seconds until the server closes a connection that sends a head slowly (or
        nothing at all); fails after 6 s."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as conn:
            if trickle:
                conn.sendall(b"GET /index.yaml HTTP/1.1\r\nHost: x\r\n")
            while time.monotonic() - started < 6:
                try:
                    if trickle:
                        conn.sendall(b"X-Slow: 1\r\n")
                    if conn.recv(1024) == b"":
                        return time.monotonic() - started
                except TimeoutError:
                    continue
                except OSError:  # reset by the server
                    return time.monotonic() - started
        raise AssertionError("the connection is still open after 6 s")

    assert closed_after(trickle=True) < 3
    assert closed_after(trickle=False) < 3
    # a client that sends its request at once is not affected, nor is a kept-alive one
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/index.yaml")
        response = conn.getresponse()
        assert response.status == 200 and response.read()
        time.sleep(0.5)
    conn.close()


def test_a_key_too_long_for_the_storage_is_not_found_not_a_storage_outage(
        server: str) -> None:
    for path in ("a" * 300 + ".tgz", "b" * 250 + ".tgz.prov", "c/" * 700 + "d.tgz"):
        assert request(f"{server}/{path}")[0] == 404, path
    assert "pyhelm_repo_storage_errors_total 0.0" in request(f"{server}/metrics")[1].decode()


def test_running_out_of_file_descriptors_is_logged_once_not_every_second(
        tmp_path: Path) -> None:
    port = free_port()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [PYHELM, "repo", "serve", str(tmp_path / "repo"), "--address",
             f"127.0.0.1:{port}"], env={**os.environ, "PYHELM_COMMAND_SERVER": "0"},
            stdout=log, stderr=log, start_new_session=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard)))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        storm = [socket.create_connection(("127.0.0.1", port), timeout=10)
                 for _ in range(120)]  # more than the server has descriptors
        time.sleep(3)
        for conn in storm:
            conn.close()
        time.sleep(1)
        assert request(f"{url}/health")[0] == 200  # it recovers
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    log_text = log_file.read_text()
    assert log_text.count("out of system resource") == 1, log_text[:3000]
    assert "Traceback" not in log_text, log_text[:3000]


def test_request_heads_over_64_kib_are_refused(server: str) -> None:
    status, _ = request(f"{server}/index.yaml", headers={"X-Big": "a" * 70_000})
    assert status == 431
    assert request(f"{server}/index.yaml", headers={"X-Fits": "a" * 60_000})[0] == 200
