"""pyhelm's command server: import the command line's modules once, then fork a ready
process (a runner) for each command a client sends (see ``command_client``).

One single-threaded loop watches the listening socket, each client's request as it
arrives (a slow or broken client is dropped after ``_REQUEST_SECONDS`` and holds up no
other), each client's connection (for signals to forward, or the client's death: its
runner is killed and reaped before any next command is taken) and each runner's pidfd
(for its exit). A runner becomes the client's process in all that matters to a command:
its credentials, priority and signal dispositions (``command_peer``), standard streams,
environment, working directory, umask, resource limits and command line; it dies with
the server. The server never runs a command itself, so nothing a command does (caches,
connections, threads, helm-engine) outlives it. A server whose loaded modules' files
change (a dependency patched in place) serves no more and exits.

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
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import IO, Any

from pyhelm.cli import command_client as protocol
from pyhelm.cli import command_peer
from pyhelm.cli.command_peer import Peer
from pyhelm.storage import store

# Imported by commands inside functions; loading them here is what makes a runner warm.
_LAZY_IMPORTS = ("base64", "concurrent.futures", "gzip", "hashlib", "http.client", "json",
                 "jsonschema", "pathspec", "referencing", "ryml", "ssl", "tarfile",
                 "pysequoia", "tempfile", "urllib.request", "yaml")
# Long-running commands (`controller`, `repo serve`) gain nothing from a warm start, nor
# does the async library face, and every runner would carry their pages: about a third
# of the server's heap, counted in each served command's memory.
_NOT_PRELOADED = ("pyhelm.testing", "pyhelm.__main__", "pyhelm.async_client",
                  "pyhelm.controller", "pyhelm.cli.controller", "pyhelm.repo.connections",
                  "pyhelm.repo.hosted", "pyhelm.repo.server", "pyhelm.repo.storage",
                  "pyhelm.repo.tcp_nodelay")
# A request is a few kilobytes sent at once: a client slower than this is dropped.
_REQUEST_SECONDS = 2.0
_MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class Request:
    argv: list[str]
    environment: dict[str, str]
    cwd: str
    umask: int
    resource_limits: dict[int, tuple[int, int]]
    peer: Peer
    streams: list[int] = field(default_factory=list)  # the client's stdin, stdout, stderr


@dataclass(eq=False)
class Pending:
    """A client's connection until its command starts: the request is read as it comes
    (never waiting on one client), then, once accepted, the client's go-ahead."""

    connection: socket.socket
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    streams: list[int] = field(default_factory=list)
    peer: Peer | None = None
    request: Request | None = None  # complete and accepted: waiting for the go-ahead

    def close(self) -> None:
        for descriptor in self.streams:
            os.close(descriptor)
        self.streams.clear()
        self.connection.close()


@dataclass(eq=False)
class Runner:
    pid: int
    pidfd: int
    connection: socket.socket


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
    warm_up()


def warm_up() -> None:
    """Do once here what each runner would otherwise do first: OpenSSL's first context
    loads its providers and algorithms (3 ms; later contexts take 0.5 ms), which every
    command that talks to a cluster or a repository over TLS pays; each verb gets its
    global flags (``globals.attach``: 20 click options, about 1 ms)."""
    import ssl

    from pyhelm.cli.globals import attach
    from pyhelm.cli.main import COMMANDS

    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for target in COMMANDS.values():
        module_name, attribute = target.split(":")
        with contextlib.suppress(Exception):  # a failed import: the command will say
            attach(getattr(importlib.import_module(module_name), attribute))


class Server:
    def __init__(self, path: str, lock: IO[str], idle_seconds: float) -> None:
        self.path = path
        self.bound_path = f"{path}.{os.getpid()}"  # where it binds until it takes ``path``
        self.lock = lock
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.pending: list[Pending] = []
        self.runners: list[Runner] = []
        self.socket_file: os.stat_result | None = None  # the path's file, once bound
        self.sockets_to_close: list[socket.socket] = []
        self.modules: dict[str, tuple[int, int, int] | None] = {}
        self.me: command_peer.Self | None = None

    def bind(self) -> None:
        """Bind beside the socket's path, before the slow preload: a directory where no
        socket can be made stops the server at once, not after its imports."""
        self.listener.bind(self.bound_path)

    def listen(self) -> None:
        """Take the socket's path (a dead server's socket may be there: the lock is
        ours) and start taking commands."""
        self.modules = _module_files()
        self.me = command_peer.Self()
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
            now = time.monotonic()
            for overdue in [each for each in self.pending if each.deadline <= now]:
                self._drop(overdue)
            ends = [each.deadline for each in self.pending]
            if not self.runners:
                ends.append(idle_since + self.idle_seconds)
                if not self.pending and ends[-1] <= now:
                    return
            events = self.selector.select(min(ends) - now if ends else None)
            # a dead client's runner is killed and reaped before its next command is read
            for key, _ in sorted(events, key=lambda event: _ORDER[event[0].data[0]]):
                # an earlier event of this batch may have ended what a later one is for
                event, subject = key.data
                if event == "accept":
                    self._accept()
                elif event == "stop":
                    stop_reader.recv(64)
                    self.stop_taking_commands()
                elif event == "request" and subject in self.pending:
                    self._from_pending(subject)
                elif event == "exit" and subject in self.runners:
                    self._reap(subject, reply=True)
                elif event == "client" and subject in self.runners:
                    self._from_client(subject)
            if events and not self.runners:
                idle_since = time.monotonic()

    def stop_taking_commands(self) -> None:
        if self.listener.fileno() >= 0:
            self.selector.unregister(self.listener)
            self.listener.close()
            self.unlink_socket()
        # a client told to go ahead has handed its streams over and waits for its
        # command: it still runs (with the code loaded here); the others run their own
        for pending in [p for p in self.pending if p.request is None]:
            self._drop(pending)
        self.idle_seconds = 0

    def _accept(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        connection.setblocking(False)
        pending = Pending(connection, time.monotonic() + _REQUEST_SECONDS)
        self.pending.append(pending)
        self.selector.register(connection, selectors.EVENT_READ, ("request", pending))
        try:
            assert self.me is not None
            pending.peer = self.me.peer(connection)
        except (OSError, ValueError, KeyError):
            pending.peer = None
        if pending.peer is None:  # another user, or a process a runner cannot become
            self._drop(pending)

    def _from_pending(self, pending: Pending) -> None:
        try:
            if pending.request is None:
                if _read_more(pending):
                    return
                pending.request = self._accepted(pending)
                if pending.request is None:  # the client runs the command itself
                    self._drop(pending)
                    return
                pending.connection.sendall(protocol.ACCEPTED)
                pending.deadline = time.monotonic() + _REQUEST_SECONDS
                return
            go = _receive(pending, 1)
        except BlockingIOError:
            return
        except (OSError, ValueError, EOFError, TypeError):
            self._drop(pending)
            return
        if go != protocol.GO or len(pending.streams) != 3:  # the client gave up waiting
            self._drop(pending)  # and runs the command itself
            return
        pending.request.streams = list(pending.streams)
        self._start(pending, pending.request)

    def _accepted(self, pending: Pending) -> Request | None:
        """The complete request, if a runner may take it."""
        argv, environment, cwd, umask, limits = marshal.loads(bytes(pending.data[8:]))
        if not _can_apply(limits) or pending.peer is None:
            return None
        if any(_stamp(path) != stamp for path, stamp in self.modules.items()):
            self.stop_taking_commands()  # changed code: retire; the next client starts anew
            return None
        return Request(argv, environment, cwd, umask, limits, pending.peer)

    def _drop(self, pending: Pending) -> None:
        self._forget(pending)
        pending.close()

    def _forget(self, pending: Pending) -> None:
        if pending in self.pending:  # retiring may have dropped it already
            self.pending.remove(pending)
            self.selector.unregister(pending.connection)

    def _start(self, pending: Pending, request: Request) -> None:
        self._forget(pending)
        pid = os.fork()
        if pid == 0:
            self._become_runner(pending.connection, request)  # never returns
        for descriptor in pending.streams:
            os.close(descriptor)
        pending.streams.clear()
        runner = Runner(pid, os.pidfd_open(pid), pending.connection)
        self.runners.append(runner)
        self.selector.register(runner.pidfd, selectors.EVENT_READ, ("exit", runner))
        self.selector.register(runner.connection, selectors.EVENT_READ, ("client", runner))

    def _from_client(self, runner: Runner) -> None:
        try:
            data = runner.connection.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client died (SIGKILL): so does its command, as it would have
            self._kill(runner, signal.SIGKILL)
            self._reap(runner, reply=False)
            return
        for index in range(0, len(data) - 1, 2):
            if data[index:index + 1] == protocol.SIGNAL:
                self._signal(runner, data[index + 1])

    def _signal(self, runner: Runner, signum: int) -> None:
        if signum in (signal.SIGTSTP, signal.SIGCONT):  # job control: the whole job
            with contextlib.suppress(OSError):  # (its own session: SIGTSTP would not stop it)
                os.killpg(runner.pid, signal.SIGSTOP if signum == signal.SIGTSTP else signum)
        else:
            self._kill(runner, signum)

    def _kill(self, runner: Runner, signum: int) -> None:
        with contextlib.suppress(OSError):  # it may have just exited
            signal.pidfd_send_signal(runner.pidfd, signum)

    def _reap(self, runner: Runner, *, reply: bool) -> None:
        _, status = os.waitpid(runner.pid, 0)
        self.selector.unregister(runner.pidfd)
        self.selector.unregister(runner.connection)
        os.close(runner.pidfd)
        self.runners.remove(runner)
        if reply:
            if os.WIFSIGNALED(status):
                message = protocol.KILLED + bytes([os.WTERMSIG(status)])
            else:
                message = protocol.EXITED + bytes([os.waitstatus_to_exitcode(status) & 0xFF])
            with contextlib.suppress(OSError):
                runner.connection.sendall(message)
        runner.connection.close()

    def close_inherited(self) -> None:
        """In a runner: close the server's sockets, pidfds, lock and other clients'."""
        self.selector.close()
        self.listener.close()
        self.lock.close()
        for each in self.sockets_to_close:
            each.close()
        for runner in self.runners:
            os.close(runner.pidfd)
            runner.connection.close()
        for pending in self.pending:
            pending.close()

    def _become_runner(self, connection: socket.socket, request: Request) -> None:
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            self.close_inherited()
            connection.close()
            command_peer.become(request.peer, protocol.FORWARDED_SIGNALS)
            store.CLIENT.update(client=str(request.peer.pid), client_start=request.peer.start)
            _adopt(request)
            status = _run_command(request.argv)
        except BaseException:  # the command could not start here: say why, exit 1
            traceback.print_exc()
        finally:
            os._exit(status)


_ORDER = {"client": 0, "exit": 1, "stop": 2, "request": 3, "accept": 4}


def _module_files() -> dict[str, tuple[int, int, int] | None]:
    """The files of the modules loaded outside pyhelm (pyhelm's own are in the key): a
    dependency patched in place changes one of them, not the key."""
    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    return {path: _stamp(path) for path in sorted(filter(None, files))
            if not path.startswith(own)}


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _can_apply(limits: dict[int, tuple[int, int]]) -> bool:
    """Whether a runner can take the client's resource limits: lowering a hard limit is
    allowed, raising one is not."""
    for number, (_, hard) in limits.items():
        ours = resource.getrlimit(number)[1]
        if ours != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > ours):
            return False
    return True


def _read_more(pending: Pending) -> bool:
    """Read what the client has sent of its request; whether more is to come."""
    pending.data += _receive(pending, 1 << 16)
    if pending.streams:
        raise ValueError("descriptors come with the go-ahead")
    if len(pending.data) < 8:
        return True
    size = int.from_bytes(pending.data[:8], "big")
    if size > _MAX_REQUEST_BYTES or len(pending.data) > 8 + size:
        raise ValueError("a malformed request")
    return len(pending.data) < 8 + size


def _receive(pending: Pending, size: int) -> bytes:
    """Up to ``size`` bytes, and any descriptors with them: they are the pending's to
    close, whatever comes of it."""
    data, ancillary, flags, _ = pending.connection.recvmsg(
        size, socket.CMSG_SPACE(3 * 4), socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancillary:
        if (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS):
            usable = len(payload) - len(payload) % 4
            pending.streams += struct.unpack(f"{usable // 4}i", payload[:usable])
    if flags & socket.MSG_CTRUNC or len(pending.streams) > 3:
        raise ValueError("too many descriptors")
    if not data:
        raise EOFError("the client left")
    return bytes(data)


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
        # the console script: sys.exit(main())
        status = _exit_status(run_here(argv[1:], served=True))
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
