"""A signal that reaches the client just after the go-ahead, before it forwards signals
(a busy machine can hold it there for a long while), is not lost and does not end the
client with a traceback: it waits, and is forwarded once forwarding is in place. The
server here is a fake on a socket, speaking the client's protocol."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.cli import command_client as client


@pytest.fixture
def fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """A server that accepts one command, then answers each forwarded signal N with the
    exit status 128 + N; yields what it received after the go-ahead."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv(client.SWITCH, "1")
    monkeypatch.setattr(client, "enabled", lambda argv: True)
    monkeypatch.setattr(client, "_in_background", lambda: False)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(client.server_path())
    listener.listen(1)
    received: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        connection.settimeout(20)  # never hang the suite
        with connection:
            size = int.from_bytes(connection.recv(8, socket.MSG_WAITALL), "big")
            connection.recv(size, socket.MSG_WAITALL)
            connection.sendall(client.ACCEPTED)
            go, fds, _, _ = socket.recv_fds(connection, 1, 3)
            for fd in fds:
                os.close(fd)
            received.append(go)
            message = connection.recv(2, socket.MSG_WAITALL)
            received.append(message)
            if message[:1] == client.SIGNAL:
                connection.sendall(client.EXITED + bytes([128 + message[1]]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield received
    listener.close()
    thread.join(timeout=10)


def test_a_signal_just_after_the_go_ahead_is_forwarded(
        fake_server: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    waiting = client._wait_for_runner

    def signalled_first(connection: Any, held: set[int]) -> int:
        # Ctrl-C before forwarding is in place. To this thread: the test process has
        # other threads, which a process-directed signal may go to (a pyhelm client
        # has one thread).
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        return waiting(connection, held)

    def die_of(signum: int) -> int:
        raise AssertionError(f"the client would have died of signal {signum}")

    monkeypatch.setattr(client, "_wait_for_runner", signalled_first)
    monkeypatch.setattr(client, "_die_of", die_of)
    saved = {signum: signal.getsignal(signum) for signum in (
        signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
        signal.SIGUSR2, signal.SIGTSTP, signal.SIGCONT)}
    try:
        status = client.run(["template", "web", "chart"])
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert status == 128 + signal.SIGINT
    assert fake_server == [client.GO, client.SIGNAL + bytes([signal.SIGINT])]
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
