"""The command server, attacked (issue 22, items 8-15): a served command may access and
do exactly what the same command run directly would (credentials, namespaces, nice
value, no_new_privs, signal dispositions, job control), dies with its client and with
its server, and the server holds nothing of its first client, never waits on one
client, never serves changed code, and never leaves a lock behind a killed command."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pyhelm.cli import command_client
from pyhelm.storage.store import Lock, process_identity
from tests.cli.test_command_server import (
    CHART,
    PYHELM,
    accepts_connections,
    environment,
    pyhelm,
    runtime,  # noqa: F401 -- a fixture
    served,  # noqa: F401 -- a fixture
    server_pids,
    sleepers,  # noqa: F401 -- a fixture
    sockets,
    wait_until,
)

ANSWER_SECONDS = getattr(command_client, "ANSWER_SECONDS", 1.0)
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

# A post-renderer that writes what its process is allowed and how it is set up (its
# parent, the command's process, passed all of it on), then passes the manifests on.
INTROSPECT = """#!/bin/sh
grep -E '^(Uid|Gid|Groups|NoNewPrivs|SigIgn|SigBlk|Cap[A-Za-z]+|Seccomp):' \\
    /proc/self/status > "$1.tmp"
echo "nice $(cut -d' ' -f19 /proc/self/stat)" >> "$1.tmp"
mv "$1.tmp" "$1"
exec cat
"""
SLEEPER = """#!/bin/sh
echo $PPID $$ > "$1"
exec sleep 60 </dev/null >/dev/null 2>&1
"""


def post_renderer(tmp_path: Path, script: str) -> Path:
    plugins = tmp_path / "plugins"
    plugin = plugins / "probe"
    plugin.mkdir(parents=True)
    (plugin / "plugin.yaml").write_text(
        "apiVersion: v1\nname: probe\nversion: 0.1.0\ntype: postrenderer/v1\n"
        "runtime: subprocess\nruntimeConfig:\n  platformCommand:\n"
        '  - command: "${HELM_PLUGIN_DIR}/run.sh"\n')
    (plugin / "run.sh").write_text(script)
    (plugin / "run.sh").chmod(0o755)
    return plugins


def state(pid: int) -> str:
    """The process's state letter (R, S, T, Z...), or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return ""


def gone(pid: int) -> bool:
    return state(pid) in ("", "Z")


def sleeping(env: dict[str, str], tmp_path: Path, sleepers: list[int],  # noqa: F811
             **popen: Any) -> tuple[subprocess.Popen[str], int]:
    """A ``template`` that waits in its post-renderer: the client and the command's pid."""
    said = tmp_path / "runner.pid"
    client = subprocess.Popen(
        [PYHELM, "template", "web", str(CHART), "--post-renderer", "probe",
         "--post-renderer-args", str(said)],
        env={**env, "HELM_PLUGINS": str(post_renderer(tmp_path, SLEEPER))},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    wait_until(lambda: said.exists() and said.read_text().endswith("\n"))
    runner, sleeper = (int(word) for word in said.read_text().split())
    sleepers.append(sleeper)
    return client, runner


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


# ------------------------------------------------------------------ item 8: credentials

@ROOT_ONLY
def test_a_served_command_has_the_clients_groups_nice_value_and_dispositions(
        served: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    def constrained() -> None:
        os.setgroups([4242, 4243])
        os.nice(3)
        _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS
        for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):  # nohup, a `cmd &`
            signal.signal(signum, signal.SIG_IGN)

    plugins = post_renderer(tmp_path, INTROSPECT)
    seen = {}
    for how, env in (("served", served), ("direct", {**served, command_client.SWITCH: "0"})):
        report = tmp_path / f"{how}.txt"
        result = subprocess.run(
            [PYHELM, "template", "web", str(CHART), "--post-renderer", "probe",
             "--post-renderer-args", str(report)], env={**env, "HELM_PLUGINS": str(plugins)},
            capture_output=True, text=True, timeout=60, preexec_fn=constrained, check=False)
        assert result.returncode == 0, result.stderr
        seen[how] = report.read_text()
    assert "4242" in seen["direct"]
    assert seen["served"] == seen["direct"]


@ROOT_ONLY
def test_a_file_the_client_may_not_read_is_not_read_through_the_server(
        runtime: Path, tmp_path: Path) -> None:  # noqa: F811
    secret = tmp_path / "group-only.yaml"
    secret.write_text("services: 2\n")
    os.chown(secret, 65534, 4242)
    secret.chmod(0o040)
    env = environment(runtime)
    unprivileged = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]

    def run(groups: list[str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*unprivileged, *groups, PYHELM, *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=60, check=False)

    member, cleared = ["--groups", "4242"], ["--clear-groups"]
    assert run(member, "version").returncode == 0  # its server is in group 4242
    wait_until(lambda: any(accepts_connections(path) for path in sockets(runtime)))
    args = ("template", "web", str(CHART), "-f", str(secret))
    allowed = run(member, *args)
    assert allowed.returncode == 0 and allowed.stdout.count("kind: Deployment") == 2
    direct = run(cleared, *args, **{command_client.SWITCH: "0"})
    assert "permission denied" in direct.stderr.lower()
    through = run(cleared, *args)
    assert (through.returncode, through.stdout, through.stderr) == (
        direct.returncode, direct.stdout, direct.stderr)


@ROOT_ONLY
def test_a_client_in_its_own_mount_namespace_sees_its_own_files(
        served: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    other = tmp_path / "other-values.yaml"
    other.write_text((CHART / "values.yaml").read_text().replace("services: 1", "services: 2"))
    script = f'mount --bind {other} {chart}/values.yaml && exec {PYHELM} template web {chart}'
    mine = subprocess.run(["unshare", "-m", "sh", "-c", script], env=served,
                          capture_output=True, text=True, timeout=60, check=False)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout.count("kind: Deployment") == 2


# ------------------------------------------------------------------ item 9: signals

def test_a_client_that_ignores_sighup_keeps_its_command_on_sighup(
        served: dict[str, str], tmp_path: Path, sleepers: list[int]) -> None:  # noqa: F811
    client, runner = sleeping(served, tmp_path, sleepers, preexec_fn=lambda: signal.signal(
        signal.SIGHUP, signal.SIG_IGN))
    client.send_signal(signal.SIGHUP)  # as nohup's terminal hanging up
    os.kill(runner, signal.SIGHUP)
    time.sleep(0.5)
    assert client.poll() is None and not gone(runner)
    os.kill(sleepers[0], signal.SIGKILL)  # the post-renderer fails: the command says so
    _, stderr = client.communicate(timeout=30)
    assert client.returncode == 1, stderr


def test_ctrl_z_stops_the_command_with_its_client_and_fg_continues_it(
        served: dict[str, str], tmp_path: Path, sleepers: list[int]) -> None:  # noqa: F811
    # A job of its own, as a shell makes it: the kernel discards a stop signal in a
    # process group with no parent outside it in the session (an "orphaned" one), which
    # the suite's own group is when it was started in the background by a script.
    client, runner = sleeping(served, tmp_path, sleepers, process_group=0)
    client.send_signal(signal.SIGTSTP)
    wait_until(lambda: state(client.pid) == "T", 10)
    wait_until(lambda: state(runner) == "T" and state(sleepers[0]) == "T", 10)
    client.send_signal(signal.SIGCONT)
    wait_until(lambda: state(runner) not in ("T", "") and state(sleepers[0]) != "T", 10)
    assert state(client.pid) != "T"
    client.send_signal(signal.SIGINT)
    client.communicate(timeout=30)
    assert client.returncode == 130


# ------------------------------------------------------------------ item 10: deaths

def test_a_killed_server_takes_its_commands_with_it(
        served: dict[str, str], runtime: Path, tmp_path: Path,  # noqa: F811
        sleepers: list[int]) -> None:  # noqa: F811
    client, runner = sleeping(served, tmp_path, sleepers)
    (server,) = server_pids(runtime)
    os.kill(server, signal.SIGKILL)
    wait_until(lambda: gone(runner), 10)  # not an orphan of PID 1, still at work
    _, stderr = client.communicate(timeout=30)
    assert client.returncode == -signal.SIGKILL
    assert "Traceback" not in stderr


def test_a_runner_killed_by_sigkill_kills_its_client_with_sigkill(
        served: dict[str, str], tmp_path: Path, sleepers: list[int]) -> None:  # noqa: F811
    client, runner = sleeping(served, tmp_path, sleepers)
    os.kill(runner, signal.SIGKILL)  # as the OOM killer does
    _, stderr = client.communicate(timeout=30)
    assert client.returncode == -signal.SIGKILL, stderr
    assert "Traceback" not in stderr


# ------------------------------------------------------------------ item 11: descriptors

def test_the_server_keeps_no_descriptor_of_the_client_that_started_it(
        runtime: Path, tmp_path: Path) -> None:  # noqa: F811
    lock = tmp_path / "lock"
    script = f"( exec 9>{lock}; flock 9; {PYHELM} version --short >/dev/null )"
    subprocess.run(["bash", "-c", script], env=environment(runtime), check=True, timeout=60)
    wait_until(lambda: any(accepts_connections(path) for path in sockets(runtime)))
    assert subprocess.run(["flock", "-n", str(lock), "true"], check=False).returncode == 0


# ------------------------------------------------------------------ item 12: bad clients

def test_a_malformed_request_leaves_no_descriptor_behind(
        served: dict[str, str], runtime: Path) -> None:  # noqa: F811
    (path,) = sockets(runtime)
    reader, writer = os.pipe()
    with socket.socket(socket.AF_UNIX) as attacker:
        attacker.connect(str(path))
        socket.send_fds(attacker, [(1000).to_bytes(8, "big")], [writer, writer, writer])
        attacker.sendall(b"x" * 10)  # then gives up mid-request
    os.close(writer)
    ended: list[bytes] = []
    thread = threading.Thread(target=lambda: ended.append(os.read(reader, 1)), daemon=True)
    thread.start()
    thread.join(5)
    assert ended == [b""], "the server still holds the pipe's write end"
    os.close(reader)


@pytest.fixture
def trickling(served: dict[str, str], runtime: Path) -> Iterator[None]:  # noqa: F811
    """Clients that send a request's header (one with descriptors, one without), then
    one byte per second for 8 seconds."""
    (path,) = sockets(runtime)
    stop = threading.Event()
    reader, writer = os.pipe()

    def trickle(descriptors: list[int]) -> None:
        with socket.socket(socket.AF_UNIX) as slow:
            slow.connect(str(path))
            header = (1000).to_bytes(8, "big")
            with contextlib.suppress(OSError):  # the server may drop it at once
                socket.send_fds(slow, [header], descriptors)
            for _ in range(8):
                with contextlib.suppress(OSError):
                    slow.send(b"\0")
                if stop.wait(1.0):
                    return

    threads = [threading.Thread(target=trickle, args=(each,), daemon=True)
               for each in ([reader, writer, writer], [])]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    yield
    stop.set()
    for thread in threads:
        thread.join()
    os.close(reader)
    os.close(writer)


def timed(run: Callable[[], subprocess.CompletedProcess[str]]
          ) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    result = run()
    return time.monotonic() - started, result


def test_a_slow_client_holds_up_no_other(served: dict[str, str],  # noqa: F811
                                         trickling: None) -> None:
    took, result = timed(lambda: pyhelm(served, "version", "--short"))
    assert result.returncode == 0
    assert took < ANSWER_SECONDS, took  # served, not after the fallback


def test_a_server_that_does_not_answer_is_not_waited_for(served: dict[str, str],  # noqa: F811
                                                         runtime: Path) -> None:  # noqa: F811
    (server,) = server_pids(runtime)
    os.kill(server, signal.SIGSTOP)
    try:
        took, result = timed(lambda: subprocess.run(
            [PYHELM, "version", "--short"], env=served, capture_output=True, text=True,
            timeout=20, check=False))
    finally:
        os.kill(server, signal.SIGCONT)
    assert result.returncode == 0 and result.stdout.startswith("v")
    assert took < ANSWER_SECONDS + 5, took


# ------------------------------------------------------------------ item 13: stale code

def test_a_dependency_changed_in_place_retires_the_server(runtime: Path,  # noqa: F811
                                                          tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    deps.mkdir()
    module = deps / "sitecustomize.py"  # loaded by every interpreter, the server's too
    module.write_text("PATCHED = False\n")
    env = environment(runtime, PYTHONPATH=str(deps))
    assert pyhelm(env, "version", "--short").returncode == 0
    wait_until(lambda: any(accepts_connections(path) for path in sockets(runtime)))
    (old,) = server_pids(runtime)
    with module.open("r+") as handle:  # in place: same inode, same directory
        handle.write("PATCHED = True \n")
    assert pyhelm(env, "version", "--short").returncode == 0
    wait_until(lambda: gone(old), 10)


# ------------------------------------------------------------------ item 14: locks

def test_a_zombie_holds_no_lock() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- the child only records itself and exits
        os._exit(0)
    try:
        wait_until(lambda: state(pid) == "Z", 10)
        identity = {**process_identity(), "pid": str(pid), "start": start_of(pid)}
        now = datetime.now(UTC)
        lock = Lock("pyhelm@here/1", now, now + timedelta(minutes=1),
                    tuple(sorted(identity.items())))
        assert lock.holder_is_gone(now)
    finally:
        os.waitpid(pid, 0)


def test_a_runner_whose_client_was_killed_holds_no_lock_once_it_is_killed_too() -> None:
    client = os.fork()
    if client == 0:  # pragma: no cover
        os._exit(0)
    runner = os.fork()
    if runner == 0:  # pragma: no cover -- its server kills it a moment after its client
        time.sleep(0.5)
        os._exit(0)
    try:
        wait_until(lambda: state(client) == "Z", 10)
        identity = {**process_identity(), "pid": str(runner), "start": start_of(runner),
                    "client": str(client), "client_start": start_of(client)}
        now = datetime.now(UTC)
        lock = Lock("pyhelm@here/1", now, now + timedelta(minutes=1),
                    tuple(sorted(identity.items())))
        assert lock.holder_is_gone(now)
        assert gone(runner)
    finally:
        os.waitpid(client, 0)
        os.waitpid(runner, 0)


def start_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]


# ------------------------------------------------------------------ item 15: a squatter

@ROOT_ONLY
def test_a_squatted_socket_directory_is_reported_once(tmp_path: Path) -> None:
    squatted = tmp_path / "run"
    (squatted / "pyhelm").mkdir(parents=True, mode=0o700)
    os.chown(squatted / "pyhelm", 65534, 65534)
    env = environment(squatted, XDG_CACHE_HOME=str(tmp_path / "cache"))
    first = pyhelm(env, "version", "--short")
    second = pyhelm(env, "version", "--short")
    assert first.returncode == second.returncode == 0
    assert len(first.stderr.splitlines()) == 1 and str(squatted / "pyhelm") in first.stderr
    assert second.stderr == ""
