"""Run a command in pyhelm's command server instead of this process, when one is up.

Python spends more time importing pyhelm's libraries than ``pyhelm status`` spends
working. The command server (``pyhelm.cli.command_server``, the design of Mercurial's
chg) imports them once and forks a ready process per command. This client, which runs
first in every ``pyhelm`` process, hands it the command line, the environment, the
working directory, the umask, the resource limits and the standard streams themselves
(as file descriptors), forwards the signals it receives, and exits as the command did.

When no server is up, the client starts one in the background and the command runs
here as before; so does every command when the server cannot take it. The server's
socket is named by a key of everything its imports depend on (the interpreter, its
path, the environment variables Python reads at start, and the files of pyhelm and of
every path entry) and its cgroup, so a changed install is never served by an old server.

Set ``PYHELM_COMMAND_SERVER=0`` to run every command in its own process; the server
exits after ``PYHELM_COMMAND_SERVER_IDLE`` seconds without a command (default 600).

This module runs before anything else is loaded, so it imports only what Python has
already loaded or what loads in well under a millisecond (``_socket``, ``_signal``,
``marshal``, ``zlib``): not ``contextlib`` (2 ms with the ``collections`` and
``functools`` it loads), whose ``suppress`` is spelled out as try/except here.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # ``signal`` would import enum (4 ms)
import _socket
import marshal
import os
import sys
import zlib

TYPE_CHECKING = False  # not typing's: importing typing costs 10 ms (see pyhelm/__init__)
if TYPE_CHECKING:
    from typing import Any

SWITCH = "PYHELM_COMMAND_SERVER"
IDLE = "PYHELM_COMMAND_SERVER_IDLE"
DEFAULT_IDLE_SECONDS = 600

# The server's replies: it can take the command, and how the command ended.
ACCEPTED = b"A"
EXITED = b"E"  # + the exit status, one byte
KILLED = b"S"  # + the signal number, one byte
# The client's messages: start the command, with the standard streams (after ACCEPTED;
# a client that gave up waiting never sends it, so a command never runs twice), and
# deliver this signal (one byte).
GO = b"G"
SIGNAL = b"K"
# How long a client waits for the server to take its command before running it itself.
ANSWER_SECONDS = 1.0

FORWARDED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
# Environment variables Python reads while starting (the locale decides the encodings).
_START_UP_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE")
# Commands that gain nothing from a warm start and should be a process of their own.
_LONG_RUNNING = (("repo", "serve"), ("controller",))


def enabled(argv: list[str]) -> bool:
    if os.environ.get(SWITCH, "1").lower() in ("0", "false", "no", "off"):
        return False
    if not hasattr(_socket, "CMSG_SPACE") or not hasattr(os, "pidfd_open"):
        return False
    flags = sys.flags
    if (flags.optimize or flags.isolated or flags.no_site or flags.ignore_environment
            or flags.dev_mode or flags.inspect or sys.warnoptions or sys._xoptions):
        return False  # the server starts as a plain interpreter: only serve its twin
    words = [word for word in argv if not word.startswith("-")]
    return not any(words[:len(verbs)] == list(verbs) for verbs in _LONG_RUNNING)


def socket_dir() -> str:
    """A directory only this user can enter: ``$XDG_RUNTIME_DIR/pyhelm`` or
    ``/tmp/pyhelm-UID``. Raises OSError if it exists but is not safely ours."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    path = (os.path.join(runtime, "pyhelm") if runtime
            else os.path.join("/tmp", f"pyhelm-{os.getuid()}"))
    try:  # noqa: SIM105 -- not contextlib: see above
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or not os.path.isdir(path):
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def server_path() -> str:
    """The socket of the server for this install. Raises OSError (see ``socket_dir``)."""
    return os.path.join(socket_dir(), server_key())


def server_key() -> str:
    """What the server's imports depend on, hashed: the same key means the same code."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # The first entry is the console script's directory (or the working directory, for
    # ``python -m``): the server, started with -P, never imports from there.
    search_path = sys.path if sys.flags.safe_path else sys.path[1:]
    # ``python`` and ``python3`` of one environment are one interpreter
    interpreter = (os.path.realpath(sys.executable), sys.prefix, sys.version)
    parts: list[Any] = [interpreter, search_path, os.getuid(),
                        sorted((name, value) for name, value in os.environ.items()
                               if name.startswith("PYTHON") or name in _START_UP_VARIABLES)]
    for entry in search_path:  # adding, removing or upgrading a package touches its directory
        try:
            parts.append(os.stat(entry or ".").st_mtime_ns)
        except OSError:
            parts.append(None)
    parts.append(_tree_fingerprint(package))
    # A runner lives in its server's cgroup: one server per cgroup keeps each command in
    # its client's (a systemd scope, a CI job, a container's limits).
    parts.append(_read("/proc/self/cgroup"))
    data = marshal.dumps(parts)
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _tree_fingerprint(top: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    pending = [top]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    found.append((entry.path, info.st_mtime_ns, info.st_size))
    return found


def run(argv: list[str]) -> int | None:
    """Run ``argv`` in the command server and return its exit status, or None when the
    command was not taken and must run in this process."""
    if not enabled(argv) or _in_background():
        return None
    try:
        path = server_path()
    except PermissionError as error:
        _warn_once(str(error))
        return None
    except OSError:
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    connection.settimeout(ANSWER_SECONDS)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        start_server(path)
        return None
    try:
        _send_request(connection, argv)
        if _receive(connection, 1) != ACCEPTED:
            connection.close()
            return None
        # From the go-ahead on the command may run: a signal must wait until it can be
        # forwarded (the server read our signal mask when we connected, so the runner
        # does not take this one on).
        held = _hold_signals()
        # The streams go with the go-ahead, to a server that answered: one that is stuck
        # must not hold them (a reader of our output would wait for its end forever).
        descriptors = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (0, 1, 2))
        try:
            connection.sendmsg([GO], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, descriptors)])
        except OSError:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, held)
            raise
    except OSError:  # the server is gone, or too slow: run here
        connection.close()
        return None
    connection.settimeout(None)
    return _wait_for_runner(connection, held)


def _hold_signals() -> set[int]:
    """Block the signals a client forwards; returns the mask to restore."""
    forwarded = {getattr(_signal, name) for name in FORWARDED_SIGNALS}
    held: set[int] = _signal.pthread_sigmask(_signal.SIG_BLOCK,
                                             forwarded | {_signal.SIGTSTP, _signal.SIGCONT})
    return held


def _in_background() -> bool:
    """Whether this process is a background job of a terminal it uses: its command
    would stop on reading (SIGTTIN) or writing (SIGTTOU) there, which a runner, not in
    the terminal's session, would not."""
    for descriptor in (0, 1, 2):
        try:
            if os.tcgetpgrp(descriptor) != os.getpgrp():
                return True
        except OSError:  # not a terminal, or not this session's
            continue
    return False


def _send_request(connection: Any, argv: list[str]) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    resource_limits = _resource_limits()
    payload = marshal.dumps(([sys.argv[0], *argv], dict(os.environ), os.getcwd(), umask,
                             resource_limits))
    connection.sendall(len(payload).to_bytes(8, "big") + payload)


def _resource_limits() -> dict[int, tuple[int, int]]:
    import resource  # a C module: no Python-level imports

    limits: dict[int, tuple[int, int]] = {}
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            number = getattr(resource, name)
            limits[number] = resource.getrlimit(number)
    return limits


def _receive(connection: Any, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _wait_for_runner(connection: Any, held: set[int]) -> int:
    """Forward signals to the runner until it exits; ``held``: the signal mask to restore
    once forwarding is in place (a signal that came meanwhile is forwarded then)."""
    def forward(signum: int, frame: object) -> None:
        try:  # noqa: SIM105 -- not contextlib: see above
            connection.sendall(SIGNAL + bytes([signum]))
        except OSError:
            pass

    def stop(signum: int, frame: object) -> None:  # Ctrl-Z: stop the command, then us
        forward(signum, frame)
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)
        _signal.signal(_signal.SIGTSTP, stop)  # continued (``fg``, ``bg``)

    for name in FORWARDED_SIGNALS:  # an ignored signal stays ignored, as in the runner
        signum = getattr(_signal, name)
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            _signal.signal(signum, forward)
    if _signal.getsignal(_signal.SIGTSTP) != _signal.SIG_IGN:
        _signal.signal(_signal.SIGTSTP, stop)
        _signal.signal(_signal.SIGCONT, forward)
    _signal.pthread_sigmask(_signal.SIG_SETMASK, held)
    try:
        reply = _receive(connection, 2)
    except OSError:  # reset: the server went away as abruptly as a killed one
        reply = b""
    connection.close()
    if reply[:1] == EXITED:
        return reply[1]
    if reply[:1] == KILLED:  # die of the same signal, as the shell expects
        return _die_of(reply[1])
    # The server died; its runners die with it (of SIGKILL: see command_peer.become).
    sys.stderr.write("Error: pyhelm's command server was killed during the command\n")
    return _die_of(_signal.SIGKILL)


def _die_of(signum: int) -> int:
    if signum not in (_signal.SIGKILL, _signal.SIGSTOP):
        _signal.signal(signum, _signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    return 128 + signum  # a signal that does not kill (the runner had a handler)


def _warn_once(problem: str) -> None:
    """Say once per boot that commands run unserved: the socket directory is not safe
    (another user made /tmp/pyhelm-UID, say); saying it on every command would be noise."""
    from pyhelm.cache_dir import cache_dir

    marker = cache_dir("command-server-unsafe")
    boot = _read("/proc/sys/kernel/random/boot_id")
    if _read(marker) == boot:
        return
    sys.stderr.write(f"pyhelm: warning: {problem}: commands run without the command "
                     "server (a slower start) until it is removed\n")
    try:
        os.makedirs(os.path.dirname(marker), exist_ok=True)
        with open(marker, "w") as handle:
            handle.write(boot)
    except OSError:
        pass


def start_server(path: str) -> None:
    """Start a server for ``path`` in the background, in its own session, reading and
    writing /dev/null; it exits at once if another server holds the path's lock. Not
    with posix_spawn: glibc's leaves the server ignoring signals 32 and 33, and so the
    commands' processes, which a command run directly does not."""
    try:
        pid = os.fork()
    except OSError:
        return  # the command still runs here; the next one tries again
    if pid == 0:
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for target in (0, 1, 2):
                os.dup2(null, target)
            os.execv(sys.executable,
                     [sys.executable, "-P", "-m", "pyhelm.cli.command_server", path])
        finally:
            os._exit(127)
