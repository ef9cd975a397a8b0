"""pyhelm's command server: import the command line's modules once, then fork a ready
process (a runner) for each command a client sends (see ``command_client``).

One single-threaded loop watches the listening socket, each client's connection (for
signals to forward, or the client's death) and each runner's pidfd (for its exit). A
runner becomes the client's process in all that matters to a command: its standard
streams, environment, working directory, umask, resource limits and command line. The
server never runs a command itself, so nothing a command does (caches, connections,
threads, helm-engine) outlives it.

The server holds ``<socket>.lock`` (with its pid) while it lives, so one server serves a
key, and exits after ``PYHELM_COMMAND_SERVER_IDLE`` seconds without a runner.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import io
import marshal
import os
import pkgutil
import resource
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import IO, Any

from pyhelm.cli import command_client as protocol

# Imported by commands inside functions; loading them here is what makes a runner warm.
_LAZY_IMPORTS = ("base64", "concurrent.futures", "gzip", "hashlib", "http.client", "json",
                 "jsonschema", "pathspec", "referencing", "ryml", "ssl", "tarfile",
                 "tempfile", "urllib.request", "yaml")
_NOT_PRELOADED = ("pyhelm.testing", "pyhelm.__main__")
_REQUEST_TIMEOUT_SECONDS = 5.0
_MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class Request:
    argv: list[str]
    environment: dict[str, str]
    cwd: str
    umask: int
    resource_limits: dict[int, tuple[int, int]]
    streams: list[int]  # the client's stdin, stdout and stderr, received


@dataclass(eq=False)
class Runner:
    pid: int
    pidfd: int
    connection: socket.socket
    client_connected: bool = True


def preload() -> None:
    """Import every module a command may need: pyhelm's own and the libraries they
    import lazily (a failed import is left for the command to report)."""
    import pyhelm

    names = [module.name for module in pkgutil.walk_packages(pyhelm.__path__, "pyhelm.")
             if not module.name.startswith(_NOT_PRELOADED)]
    for name in [*names, *_LAZY_IMPORTS]:
        try:
            importlib.import_module(name)
        except Exception:  # an optional dependency may be missing: the command will say
            continue


class Server:
    def __init__(self, path: str, lock: IO[str], idle_seconds: float) -> None:
        self.path = path
        self.bound_path = f"{path}.{os.getpid()}"  # where it binds until it takes ``path``
        self.lock = lock
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.runners: list[Runner] = []
        self.socket_file: os.stat_result | None = None  # the path's file, once bound
        self.sockets_to_close: list[socket.socket] = []

    def bind(self) -> None:
        """Bind beside the socket's path, before the slow preload: a directory where no
        socket can be made stops the server at once, not after its imports."""
        self.listener.bind(self.bound_path)

    def listen(self) -> None:
        """Take the socket's path (a dead server's socket may be there: the lock is
        ours) and start taking commands."""
        self.listener.listen(64)
        os.rename(self.bound_path, self.path)
        self.socket_file = os.stat(self.path)
        self.selector.register(self.listener, selectors.EVENT_READ, ("accept", None))

    def unlink_socket(self) -> None:
        """Remove the socket's path if it is still this server's: a cleaner of /tmp may
        have removed it, and another server bound the path since."""
        with contextlib.suppress(OSError):
            if self.socket_file and os.path.samestat(os.stat(self.path), self.socket_file):
                os.unlink(self.path)

    def serve(self) -> None:
        """Serve until idle for ``idle_seconds``, or SIGTERM: then stop taking commands,
        let the running ones finish (their clients wait for them), and return."""
        stop_reader, stop_writer = socket.socketpair()
        stop_writer.setblocking(False)
        signal.set_wakeup_fd(stop_writer.fileno())
        signal.signal(signal.SIGTERM, lambda signum, frame: None)  # wakes the selector
        self.selector.register(stop_reader, selectors.EVENT_READ, ("stop", None))
        self.sockets_to_close += [stop_reader, stop_writer]
        idle_since = time.monotonic()
        while True:
            timeout = None if self.runners else idle_since + self.idle_seconds - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            events = self.selector.select(timeout)
            for key, _ in events:
                # an earlier event of this batch may have ended what a later one is for
                event, runner = key.data
                if event == "accept":
                    self._accept()
                elif event == "stop":
                    stop_reader.recv(64)
                    self.stop_taking_commands()
                elif event == "exit" and runner in self.runners:
                    self._reap(runner)
                elif event == "client" and runner in self.runners and runner.client_connected:
                    self._from_client(runner)
            if events and not self.runners:
                idle_since = time.monotonic()

    def stop_taking_commands(self) -> None:
        if self.listener.fileno() >= 0:
            self.selector.unregister(self.listener)
            self.listener.close()
            self.unlink_socket()
        self.idle_seconds = 0

    def _accept(self) -> None:
        connection, _ = self.listener.accept()
        try:
            if not _same_user(connection):
                connection.close()
                return
            request = _read_request(connection)
        except (OSError, ValueError, EOFError, TypeError):
            connection.close()
            return
        if not _can_apply(request.resource_limits):
            for descriptor in request.streams:
                os.close(descriptor)
            connection.close()  # not accepted: the client runs the command itself
            return
        pid = os.fork()
        if pid == 0:
            self._become_runner(connection, request)  # never returns
        for descriptor in request.streams:
            os.close(descriptor)
        runner = Runner(pid, os.pidfd_open(pid), connection)
        self.runners.append(runner)
        self.selector.register(runner.pidfd, selectors.EVENT_READ, ("exit", runner))
        self.selector.register(connection, selectors.EVENT_READ, ("client", runner))
        try:
            connection.sendall(protocol.ACCEPTED)
        except OSError:
            os.kill(pid, signal.SIGKILL)  # the client is gone: nobody waits for the command

    def _from_client(self, runner: Runner) -> None:
        try:
            data = runner.connection.recv(64)
        except OSError:
            data = b""
        if not data:  # the client died (SIGKILL): so does its command, as it would have
            self._kill(runner, signal.SIGKILL)
            self.selector.unregister(runner.connection)
            runner.client_connected = False
            return
        for index in range(0, len(data) - 1, 2):
            if data[index:index + 1] == protocol.SIGNAL:
                self._kill(runner, data[index + 1])

    def _kill(self, runner: Runner, signum: int) -> None:
        with contextlib.suppress(OSError):  # it may have just exited
            signal.pidfd_send_signal(runner.pidfd, signum)

    def _reap(self, runner: Runner) -> None:
        _, status = os.waitpid(runner.pid, 0)
        self.selector.unregister(runner.pidfd)
        os.close(runner.pidfd)
        self.runners.remove(runner)
        if runner.client_connected:
            self.selector.unregister(runner.connection)
            if os.WIFSIGNALED(status):
                reply = protocol.KILLED + bytes([os.WTERMSIG(status)])
            else:
                reply = protocol.EXITED + bytes([os.waitstatus_to_exitcode(status) & 0xFF])
            with contextlib.suppress(OSError):
                runner.connection.sendall(reply)
        runner.connection.close()

    def close_inherited(self) -> None:
        """In a runner: close the server's sockets, pidfds and lock."""
        self.selector.close()
        self.listener.close()
        self.lock.close()
        for each in self.sockets_to_close:
            each.close()
        for runner in self.runners:
            os.close(runner.pidfd)
            runner.connection.close()

    def _become_runner(self, connection: socket.socket, request: Request) -> None:
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            self.close_inherited()
            connection.close()
            _adopt(request)
            status = _run_command(request.argv)
        except BaseException:  # the command could not start here: say why, exit 1
            traceback.print_exc()
        finally:
            os._exit(status)


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    uid = int.from_bytes(credentials[4:8], sys.byteorder)
    return uid == os.getuid()


def _can_apply(limits: dict[int, tuple[int, int]]) -> bool:
    """Whether a runner can take the client's resource limits: lowering a hard limit is
    allowed, raising one is not."""
    for number, (_, hard) in limits.items():
        ours = resource.getrlimit(number)[1]
        if ours != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > ours):
            return False
    return True


def _read_request(connection: socket.socket) -> Request:
    connection.settimeout(_REQUEST_TIMEOUT_SECONDS)
    header, streams, _, _ = socket.recv_fds(connection, 8, 3)
    if len(header) != 8 or len(streams) != 3:
        for descriptor in streams:
            os.close(descriptor)
        raise ValueError("a malformed request")
    size = int.from_bytes(header, "big")
    if size > _MAX_REQUEST_BYTES:
        raise ValueError("an oversized request")
    payload = bytearray()
    while len(payload) < size:
        chunk = connection.recv(min(size - len(payload), 1 << 20))
        if not chunk:
            raise EOFError("the client left mid-request")
        payload += chunk
    connection.settimeout(None)
    argv, environment, cwd, umask, limits = marshal.loads(payload)
    return Request(argv, environment, cwd, umask, limits, list(streams))


def _adopt(request: Request) -> None:
    """Make this runner the client's process, as far as a command can tell."""
    for target, received in enumerate(request.streams):
        os.dup2(received, target)
        os.close(received)
    sys.stdin = _text_stream(0, "r", sys.__stdin__)
    sys.stdout = _text_stream(1, "w", sys.__stdout__)
    sys.stderr = _text_stream(2, "w", sys.__stderr__)
    os.environ.clear()
    os.environ.update(request.environment)
    time.tzset()
    os.chdir(request.cwd)
    os.umask(request.umask)
    for number, limit in request.resource_limits.items():
        if resource.getrlimit(number) != tuple(limit):
            resource.setrlimit(number, limit)
    for name in protocol.FORWARDED_SIGNALS:  # as a fresh interpreter has them
        signum = getattr(signal, name)
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                      else signal.SIG_DFL)
    sys.argv = list(request.argv)


def _text_stream(descriptor: int, mode: str, like: Any) -> io.TextIOWrapper:
    """A standard stream over ``descriptor`` as Python made ``like`` at start-up: the
    same encoding and buffering (``-u``/``PYTHONUNBUFFERED`` leave no buffer), line
    buffered on a terminal and for stderr."""
    raw = io.FileIO(descriptor, mode, closefd=False)
    unbuffered = isinstance(like.buffer, io.RawIOBase)
    buffer: Any = raw if unbuffered else (
        io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw))
    return io.TextIOWrapper(buffer, encoding=like.encoding, errors=like.errors,
                            line_buffering=raw.isatty() or descriptor == 2,
                            write_through=unbuffered)


def _run_command(argv: list[str]) -> int:
    """What the interpreter does around ``main``: exit statuses, the last-resort
    traceback, atexit functions and flushing the streams."""
    from pyhelm.cli.entry import run_here

    try:
        status = _exit_status(run_here(argv[1:]))  # the console script: sys.exit(main())
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except BaseException:  # what the interpreter prints for an uncaught exception
        traceback.print_exc()
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # as at exit: join threads
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # what Python exits with when flushing fails
    return status


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    # Spawned by a client, the server has whatever that client's process had open without
    # close-on-exec (a lock, a pipe's end): it keeps none of it.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    path = argv[0]
    try:  # a kernel before 5.3 has no pidfds: clients then run their commands themselves
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return 1
    lock = _take_lock(path + ".lock")
    if lock is None:
        return 0  # another server has this key
    os.chdir("/")
    idle = float(os.environ.get(protocol.IDLE) or protocol.DEFAULT_IDLE_SECONDS)
    server = Server(path, lock, idle)
    try:
        server.bind()
        preload()
        if threading.active_count() != 1:
            return 1  # forking with threads is unsafe; clients run commands themselves
        gc.freeze()  # runners then do not copy the preloaded objects' pages to collect them
        server.listen()
        server.serve()
    finally:
        _unlink(server.bound_path)
        server.unlink_socket()
        with contextlib.suppress(OSError):  # before the lock is let go: see _take_lock
            if os.path.samestat(os.stat(lock.name), os.fstat(lock.fileno())):
                os.unlink(lock.name)
    return 0


def _take_lock(path: str) -> IO[str] | None:
    """Lock ``path`` and write this pid in it; None when another server holds it. A
    server unlinks its lock file as it exits, so a lock taken on a file that has been
    unlinked since it was opened is no lock: open the path again."""
    while True:
        lock = open(path, "a+")  # noqa: SIM115 -- held until the process ends
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            lock.close()
            continue
        if os.path.samestat(current, os.fstat(lock.fileno())):
            lock.truncate(0)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            return lock
        lock.close()


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
