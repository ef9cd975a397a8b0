"""No request waits forever: a server that accepts the connection and never answers
ends ``pyhelm list`` with one line after the read timeout. A malformed kubeconfig is one
line too, and values that break a schema are reported by path and type, never value."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "pyhelm"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections, reads nothing, answers nothing."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: c, cluster: {{server: '{server}', "
        "insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u, namespace: team}}]\n")
    return path


def _pyhelm(*args: str, kubeconfig: Path, timeout: str = "2") -> tuple[
        subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [str(SCRIPT), "--kubeconfig", str(kubeconfig), *args], capture_output=True,
        text=True, timeout=60, check=False,
        env={**os.environ, "PYHELM_DEBUG": "", "PYHELM_REQUEST_TIMEOUT": timeout})
    return result, time.monotonic() - started


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_server_that_never_answers_ends_list_with_one_line(
        tmp_path: Path, silent_server: int, scheme: str) -> None:
    config = _kubeconfig(tmp_path, f"{scheme}://127.0.0.1:{silent_server}")
    result, took = _pyhelm("list", kubeconfig=config)
    assert result.returncode == 1, result.stdout
    assert took < 20, took
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{silent_server}" in lines[0]
    assert "within 2 s" in lines[0] or "timed out" in lines[0], lines[0]


def test_the_default_read_timeout_is_bounded() -> None:
    from pyhelm.kube.client import request_timeout

    os.environ.pop("PYHELM_REQUEST_TIMEOUT", None)
    connect, read = request_timeout()
    assert 0 < connect <= 10 and 0 < read <= 60


def test_a_malformed_kubeconfig_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("apiVersion: v1\nclusters: [\n  - name: {broken\n")
    result, _ = _pyhelm("list", kubeconfig=config)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(config) in lines[0]
