"""Long-running helm-engine processes for a long-running caller (the controller).

A command renders once and starts ``helm-engine`` for it; a controller renders thousands
of times, and each process pays the Go runtime's start (about 20 ms of CPU, 25 times the
render of a small chart). ``helm-engine --serve`` answers one request after another, one
line each; the pool keeps up to ``keep`` such processes idle and starts more while every
one is busy, so renders never queue behind each other. A process that breaks a limit
says so in its reply and ends; one that times out, dies or answers nonsense is killed.
Either way it is never reused: nothing a runaway render left behind meets the next one.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import selectors
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from pyhelm.engine import engine_process
from pyhelm.errors import RenderError

# A reply above this is not read: the engine bounds its output by the request's
# maxOutputBytes (64 MiB by default); objects and JSON escaping at most triple it.
MAX_REPLY_BYTES = 256 << 20
_READ_CHUNK = 1 << 20


class _Stopped(Exception):
    """The engine process ended (or was gone) before it answered (RenderError once the
    pool gives up)."""


class _Served:
    """One ``helm-engine --serve`` process, its stderr's last lines kept for errors."""

    def __init__(self, binary: str) -> None:
        self.answered = 0  # requests answered so far
        self.process = subprocess.Popen([binary, "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True,
                         name="pyhelm-engine-stderr").start()

    def _drain(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        with stream:  # read to the end: the process has ended
            for line in stream:
                self.stderr.append(line.decode(errors="replace").rstrip())

    def exchange(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and read its reply line; raises RenderError, or _Stopped when
        the process ended first (either way it is then unusable)."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except OSError as exc:
            raise _Stopped(f"the Helm engine stopped: {self._last_words()}") from exc
        line = self._read_line(stdout.fileno(), timeout)
        try:
            reply: dict[str, Any] = json.loads(line)
        except ValueError:
            raise RenderError(f"the Helm engine failed: {self._last_words()}") from None
        self.answered += 1
        return reply

    def _read_line(self, fd: int, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise RenderError(f"the Helm engine did not answer within {timeout:g}s")
                chunk = os.read(fd, _READ_CHUNK)
                if not chunk:
                    raise _Stopped(f"the Helm engine stopped: {self._last_words()}")
                chunks.append(chunk)
                size += len(chunk)
                if chunk.endswith(b"\n"):  # JSON escapes newlines: only a reply's end
                    return b"".join(chunks)
                if size > MAX_REPLY_BYTES:
                    raise RenderError("the Helm engine's reply is over "
                                      f"{MAX_REPLY_BYTES >> 20} MiB")

    def _last_words(self) -> str:
        code = self.process.poll()
        last = self.stderr[-1] if self.stderr else "no output"
        return f"exit {code}: {last}" if code is not None else last

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # an unsent request: closed all the same
                    stream.close()


class EnginePool:
    """Served helm-engine processes: one request at a time each, ``keep`` kept idle."""

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self._idle: list[_Served] = []
        self._lock = threading.Lock()
        self._closed = False

    def exchange(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """The reply to one request (a chart's error in it included), as
        ``helm_engine.exchange`` gives it; RenderError when no engine could answer."""
        served = self._take()
        try:
            reply = _ask(served, request, timeout + 10)
        except _Stopped as exc:
            if not served.answered:
                raise RenderError(str(exc)) from None
            # an idle engine that died meanwhile (the OOM killer): once more, on a new one
            served = self._take(new=True)
            try:
                reply = _ask(served, request, timeout + 10)
            except _Stopped as again:
                raise RenderError(str(again)) from None
        if reply.get("exiting"):
            served.stop()
        else:
            self._give_back(served)
        return reply

    def _take(self, *, new: bool = False) -> _Served:
        with self._lock:
            if self._closed:
                raise RenderError("the Helm engine pool is closed")
            if self._idle and not new:
                return self._idle.pop()
        try:
            return _Served(engine_process.find_binary())
        except OSError as exc:
            raise RenderError(f"cannot run the Helm engine: {exc.strerror}") from exc

    def _give_back(self, served: _Served) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.keep:
                self._idle.append(served)
                return
        served.stop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for served in idle:
            served.stop()


def _ask(served: _Served, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """One exchange; an engine that failed it is stopped."""
    try:
        return served.exchange(request, timeout)
    except BaseException:
        served.stop()
        raise


_pool: EnginePool | None = None


def serve_renders(keep: int = 2) -> EnginePool:
    """From now on, this process renders Helm charts with served engines (its pool)."""
    global _pool
    if _pool is None:
        _pool = EnginePool(keep)
    return _pool


def current() -> EnginePool | None:
    """The pool ``serve_renders`` made, if any."""
    return _pool


def stop_serving() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None
