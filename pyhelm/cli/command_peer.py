"""A command server's client as the kernel sees it, and making a runner the same.

A served command must be able to do exactly what it could do run directly. The server
reads what its client is from the kernel, never from the client's word: its pid, user
and group from ``SO_PEERCRED``, its supplementary groups from ``SO_PEERGROUPS``, and the
rest from ``/proc/PID``. What a runner can take on (groups and group ids, the nice
value, no_new_privs, ignored and blocked signals) it takes; a client that differs in
anything else (user ids, capabilities, seccomp, security label, namespaces, root
directory) is not served: it runs its command itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import struct
from dataclasses import dataclass

_SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_CAP_SETGID = 6
_CAP_SYS_NICE = 23
_NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
# /proc/PID/status fields a runner cannot change: they must be the server's own
_MUST_MATCH = ("Uid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Seccomp",
               "Seccomp_filters")
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Peer:
    pid: int
    start: str  # its start time (/proc/PID/stat): with the pid, this very process
    gids: tuple[int, int, int]  # real, effective, saved
    groups: tuple[int, ...]
    nice: int
    no_new_privs: bool
    ignored: frozenset[int]
    blocked: frozenset[int]


def _status(pid: int | str) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as handle:
        return dict(line.rstrip("\n").partition(":\t")[::2] for line in handle)


def _context(pid: int | str) -> tuple[object, ...]:
    """What the process sees and is confined by: its namespaces, root and LSM label."""
    found: list[object] = [os.stat(f"/proc/{pid}/root")[1:3]]
    for name in _NAMESPACES:
        try:
            found.append(os.stat(f"/proc/{pid}/ns/{name}").st_ino)
        except FileNotFoundError:  # a kernel without this namespace
            found.append(None)
    try:
        with open(f"/proc/{pid}/attr/current", "rb") as handle:
            found.append(handle.read())
    except OSError:
        found.append(None)
    return tuple(found)


def _signals(mask: str) -> frozenset[int]:
    bits = int(mask, 16)
    return frozenset(n for n in range(1, signal.NSIG) if bits >> (n - 1) & 1)


class Self:
    """The server's own side of the comparison, read once."""

    def __init__(self) -> None:
        self.status = _status("self")
        self.context = _context("self")
        self.capabilities = int(self.status["CapEff"], 16)
        self.nice = os.getpriority(os.PRIO_PROCESS, 0)
        self.gids = os.getresgid()
        self.groups = tuple(sorted(os.getgroups()))

    def can(self, capability: int) -> bool:
        return bool(self.capabilities >> capability & 1)

    def peer(self, connection: socket.socket) -> Peer | None:
        """The client on ``connection``, or None when a runner cannot become it."""
        pid, uid, gid = struct.unpack("3i", connection.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        raw = connection.getsockopt(socket.SOL_SOCKET, _SO_PEERGROUPS, 1024)
        groups = tuple(sorted(struct.unpack(f"{len(raw) // 4}I", raw)))
        if pid <= 0 or uid != os.getuid():
            return None  # another user, or a process of a PID namespace we cannot see
        status = _status(pid)
        if any(status.get(field) != self.status.get(field) for field in _MUST_MATCH):
            return None
        if _context(pid) != self.context:
            return None
        real, effective, saved, _ = (int(each) for each in status["Gid"].split())
        gids = (real, effective, saved)
        if effective != gid or (
                (gids, groups) != (self.gids, self.groups) and not self.can(_CAP_SETGID)):
            return None
        nice = os.getpriority(os.PRIO_PROCESS, pid)
        if nice < self.nice and not self.can(_CAP_SYS_NICE):
            return None
        no_new_privs = status.get("NoNewPrivs") == "1"
        if not no_new_privs and self.status.get("NoNewPrivs") == "1":
            return None
        with open(f"/proc/{pid}/stat") as handle:
            start = handle.read().rpartition(")")[2].split()[19]
        return Peer(pid, start, gids, groups, nice, no_new_privs, _signals(status["SigIgn"]),
                    _signals(status["SigBlk"]))


def become(peer: Peer, forwarded: tuple[str, ...]) -> None:
    """In a runner, before anything else: take on the client's credentials, priority
    and signal dispositions, and die with the server."""
    if (peer.gids, peer.groups) != (os.getresgid(), tuple(sorted(os.getgroups()))):
        os.setgroups(list(peer.groups))
        os.setresgid(*peer.gids)
    if os.getpriority(os.PRIO_PROCESS, 0) != peer.nice:
        os.setpriority(os.PRIO_PROCESS, 0, peer.nice)
    if peer.no_new_privs:
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    server = os.getppid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after the credentials: they clear it
    if os.getppid() != server:
        os._exit(1)  # the server died before the line above
    os.setsid()  # out of the server's session: its own job, stopped and continued whole
    for name in forwarded:  # as a fresh interpreter has them
        signum = getattr(signal, name)
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                      else signal.SIG_DFL)
    for signum in signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}:
        ignored = signal.getsignal(signum) == signal.SIG_IGN
        if ignored != (signum in peer.ignored):
            with contextlib.suppress(OSError):  # the C library's own signals
                signal.signal(signum, signal.SIG_IGN if not ignored else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, peer.blocked)


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
