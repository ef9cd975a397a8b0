"""The command server, through the real ``pyhelm`` console script: a served command is the
same as one run in its own process (output, errors, exit status, environment, working
directory, standard input), a runner is a child of the server, signals reach the
command, a killed client takes its command with it, and servers never serve old code."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.cli import command_client

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "bench" / "charts" / "microservices"
PYHELM = str(Path(sys.executable).with_name("pyhelm"))

SLEEPER = """#!/bin/sh
# a post-renderer that says who its parent (the command's process) is and who it is,
# then waits, holding none of the command's streams
echo $PPID $$ > "$1"
exec sleep 60 </dev/null >/dev/null 2>&1
"""


def wait_until(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def server_pids(runtime: Path) -> list[int]:
    pids = []
    for lock in (runtime / "pyhelm").glob("*.lock"):
        try:
            text = lock.read_text().strip()
        except FileNotFoundError:  # its server removed it as it exited
            continue
        if text and Path(f"/proc/{text}").exists():
            pids.append(int(text))
    return pids


def parent_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no parent for {pid}")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Path]:
    """A private socket directory; its servers are stopped afterwards."""
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    yield directory
    for pid in server_pids(directory):
        os.kill(pid, signal.SIGTERM)


def environment(runtime: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != command_client.SWITCH}
    return {**env, "XDG_RUNTIME_DIR": str(runtime), **extra}


def pyhelm(env: dict[str, str], *args: str, **options: object
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYHELM, *args], env=env, capture_output=True, text=True,
                          check=False, timeout=120, **options)  # type: ignore[call-overload]


def sockets(runtime: Path) -> list[Path]:
    """The servers' sockets (not one still bound beside its path while importing)."""
    return [path for path in (runtime / "pyhelm").iterdir()
            if path.is_socket() and "." not in path.name]


def accepts_connections(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


@pytest.fixture
def served(runtime: Path) -> dict[str, str]:
    """The environment of a client whose server is up (the first command starts it)."""
    env = environment(runtime)
    assert pyhelm(env, "version", "--short").returncode == 0
    wait_until(lambda: any(accepts_connections(path) for path in sockets(runtime)))
    return env


def test_served_commands_are_the_commands_run_alone(served: dict[str, str],
                                                    tmp_path: Path) -> None:
    alone = {**served, command_client.SWITCH: "0"}
    values = tmp_path / "values.yaml"
    values.write_text("services: 2\n")
    cases = [
        ["template", "web", str(CHART), "--set", "services=3"],
        ["template", "web", ".", "-f", str(values), "--namespace", "team"],
        ["template", "web", "/no/such/chart"],  # an error: message and status
        ["template", "web", str(CHART), "--set", "services"],  # a usage error
        ["no-such-verb"],
        ["env"],
    ]
    for args in cases:
        ours = pyhelm(served, *args, cwd=str(CHART))
        theirs = pyhelm(alone, *args, cwd=str(CHART))
        assert (ours.returncode, ours.stdout, ours.stderr) == (
            theirs.returncode, theirs.stdout, theirs.stderr), args


def test_a_served_command_reads_the_clients_environment_and_standard_input(
        served: dict[str, str]) -> None:
    env = {**served, "HELM_NAMESPACE": "from-env"}
    settings = pyhelm(env, "env")
    assert 'HELM_NAMESPACE="from-env"' in settings.stdout
    result = pyhelm(env, "template", "web", str(CHART), "-f", "-", input="services: 1\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("kind: Deployment") == 1


@pytest.fixture
def sleepers() -> Iterator[list[int]]:
    started: list[int] = []
    yield started
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def sleeping_command(served: dict[str, str], tmp_path: Path, sleepers: list[int]
                     ) -> tuple[subprocess.Popen[str], int]:
    """A served ``template`` that waits in its post-renderer; returns the client and the
    command's process (the runner)."""
    plugin = tmp_path / "plugins" / "sleeper"
    plugin.mkdir(parents=True)
    (plugin / "plugin.yaml").write_text(
        "apiVersion: v1\nname: sleeper\nversion: 0.1.0\ntype: postrenderer/v1\n"
        "runtime: subprocess\nruntimeConfig:\n  platformCommand:\n"
        '  - command: "${HELM_PLUGIN_DIR}/run.sh"\n')
    (plugin / "run.sh").write_text(SLEEPER)
    (plugin / "run.sh").chmod(0o755)
    said = tmp_path / "runner.pid"
    client = subprocess.Popen(
        [PYHELM, "template", "web", str(CHART), "--post-renderer", "sleeper",
         "--post-renderer-args", str(said)],
        env={**served, "HELM_PLUGINS": str(tmp_path / "plugins")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: said.exists() and said.read_text().endswith("\n"))
    runner, sleeper = (int(word) for word in said.read_text().split())
    sleepers.append(sleeper)
    return client, runner


def test_the_command_runs_in_a_child_of_the_server_and_gets_the_clients_signals(
        served: dict[str, str], runtime: Path, tmp_path: Path, sleepers: list[int]) -> None:
    client, runner = sleeping_command(served, tmp_path, sleepers)
    assert runner != client.pid
    assert parent_of(runner) in server_pids(runtime)
    client.send_signal(signal.SIGINT)
    _, stderr = client.communicate(timeout=30)
    assert client.returncode == 130
    assert "Aborted!" in stderr  # as click reports Ctrl-C in a process of its own
    wait_until(lambda: not Path(f"/proc/{runner}").exists())


def test_a_killed_client_takes_its_command_with_it(served: dict[str, str], tmp_path: Path,
                                                   sleepers: list[int]) -> None:
    client, runner = sleeping_command(served, tmp_path, sleepers)
    client.kill()
    client.communicate(timeout=30)
    wait_until(lambda: not Path(f"/proc/{runner}").exists()
               or "Z" in Path(f"/proc/{runner}/stat").read_text().split()[2])


def test_a_command_killed_by_a_signal_kills_its_client_the_same_way(
        served: dict[str, str], tmp_path: Path, sleepers: list[int]) -> None:
    client, runner = sleeping_command(served, tmp_path, sleepers)
    os.kill(runner, signal.SIGTERM)
    client.communicate(timeout=30)
    assert client.returncode == -signal.SIGTERM


def test_commands_run_alone_when_the_server_is_switched_off(runtime: Path) -> None:
    env = environment(runtime, **{command_client.SWITCH: "0"})
    assert pyhelm(env, "version", "--short").returncode == 0
    time.sleep(0.5)
    assert not (runtime / "pyhelm").exists()


def test_the_server_leaves_when_idle(runtime: Path) -> None:
    env = environment(runtime, **{command_client.IDLE: "0.5"})
    assert pyhelm(env, "version", "--short").returncode == 0
    wait_until(lambda: sockets(runtime))
    wait_until(lambda: not sockets(runtime) and not server_pids(runtime))


def test_one_server_per_key(runtime: Path) -> None:
    env = environment(runtime)
    for _ in range(3):
        assert pyhelm(env, "version", "--short").returncode == 0
    wait_until(lambda: sockets(runtime) and server_pids(runtime))
    time.sleep(0.5)
    assert len(server_pids(runtime)) == 1


def test_another_install_or_cgroup_gets_another_key(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    before = command_client.server_key()
    monkeypatch.setenv("PYTHONSOMETHING", "1")
    assert command_client.server_key() != before
    before = command_client.server_key()
    real_read = command_client._read
    monkeypatch.setattr(command_client, "_read", lambda path: real_read(path) + "0::/other\n")
    assert command_client.server_key() != before  # another cgroup
    tree = tmp_path / "package"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "module.py").write_text("A = 1\n")
    first = command_client._tree_fingerprint(str(tree))
    (tree / "sub" / "module.py").write_text("A = 22\n")
    assert command_client._tree_fingerprint(str(tree)) != first


def test_no_server_in_a_directory_others_can_enter(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "pyhelm"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(PermissionError):
        command_client.socket_dir()
    assert command_client.run(["version"]) is None


def test_a_stopped_server_finishes_its_commands_first(served: dict[str, str], runtime: Path,
                                                      tmp_path: Path,
                                                      sleepers: list[int]) -> None:
    client, _ = sleeping_command(served, tmp_path, sleepers)
    (server,) = server_pids(runtime)
    os.kill(server, signal.SIGTERM)
    wait_until(lambda: not sockets(runtime))  # no new commands...
    assert Path(f"/proc/{server}").exists()  # ...but it waits for this one
    os.kill(sleepers[0], signal.SIGKILL)  # the post-renderer fails: the command reports it
    _, stderr = client.communicate(timeout=30)
    assert client.returncode == 1
    assert "post-renderer" in stderr and "command server" not in stderr
    wait_until(lambda: not server_pids(runtime))


def test_a_dead_servers_socket_is_taken_over(served: dict[str, str], runtime: Path) -> None:
    (server,) = server_pids(runtime)
    (path,) = sockets(runtime)
    os.kill(server, signal.SIGKILL)  # leaves its socket behind
    wait_until(lambda: not server_pids(runtime))
    assert path.is_socket()
    result = pyhelm(served, "version", "--short")  # runs alone, starts a server
    assert result.returncode == 0 and result.stdout.startswith("v")
    wait_until(lambda: server_pids(runtime) and accepts_connections(path))



def test_a_server_whose_files_were_cleaned_away_leaves_its_successors_alone(
        served: dict[str, str], runtime: Path) -> None:
    (first,) = server_pids(runtime)
    (path,) = sockets(runtime)
    lock = path.with_name(path.name + ".lock")
    path.unlink()  # as a cleaner of /tmp would
    lock.unlink()
    assert pyhelm(served, "version", "--short").returncode == 0  # starts a second server
    wait_until(lambda: accepts_connections(path))
    second = int(lock.read_text())
    assert second != first
    os.kill(first, signal.SIGTERM)
    wait_until(lambda: not Path(f"/proc/{first}").exists()
               or "Z" in Path(f"/proc/{first}/stat").read_text().split()[2])
    assert accepts_connections(path) and int(lock.read_text()) == second


def test_which_commands_are_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(command_client.SWITCH, raising=False)
    assert command_client.enabled(["template", "web", "chart"])
    assert command_client.enabled(["--debug", "list", "-A"])
    assert not command_client.enabled(["repo", "serve", "--port", "8080"])  # long-running
    assert not command_client.enabled(["--debug", "repo", "serve"])
    for off in ("0", "false", "no", "off", "OFF"):
        monkeypatch.setenv(command_client.SWITCH, off)
        assert not command_client.enabled(["template", "web", "chart"])


def test_a_served_command_reads_a_terminal(served: dict[str, str]) -> None:
    """The runner has no controlling terminal; reading the client's terminal still works
    (no SIGTTIN), and Ctrl-D ends the input."""
    import pty
    import select

    pid, terminal = pty.fork()
    if pid == 0:  # pragma: no cover -- the child execs at once
        os.execve(PYHELM, [PYHELM, "template", "web", str(CHART), "-f", "-"], served)
    os.write(terminal, b"services: 2\n")
    time.sleep(0.3)
    os.write(terminal, b"\x04")
    output = b""
    while select.select([terminal], [], [], 30)[0]:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the terminal closes with the command
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert output.count(b"kind: Deployment") == 2


def test_retiring_keeps_the_clients_told_to_go_ahead(tmp_path: Path) -> None:
    """A server that retires (its code changed on disk, or SIGTERM) drops the requests
    it has not answered (their clients run the command themselves) but keeps those it
    told to go ahead, whose clients have handed their streams over and wait for the
    command: dropping them reset their connections, and such a client died with a
    traceback, its command never run. Dropping twice is harmless (it crashed the
    server)."""
    from pyhelm.cli.command_server import Pending, Request, Server

    lock = (tmp_path / "lock").open("w")
    server = Server(str(tmp_path / "socket"), lock, idle_seconds=60)
    server.bind()
    server.listen()
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        told, fresh = (Pending(pair[0], time.monotonic() + 30) for pair in pairs)
        told.request = Request([], {}, "/", 0o22, {}, peer=None)  # type: ignore[arg-type]
        for pending in (told, fresh):
            server.pending.append(pending)
            server.selector.register(pending.connection, 1, ("request", pending))
        server.stop_taking_commands()
        assert server.pending == [told]
        assert fresh.connection.fileno() == -1  # closed: that client runs it itself
        server._drop(fresh)  # again: nothing to do
        assert server.idle_seconds == 0
    finally:
        for pair in pairs:
            for end in pair:
                end.close()
        server.selector.close()
        lock.close()


def test_the_server_preloads_the_quick_commands_not_the_long_running_ones() -> None:
    """Every runner carries the server's heap: the controller's and `repo serve`'s
    modules (uvicorn among them) would be a third of it, for commands that run for
    hours and gain nothing from a warm start."""
    probe = ("import sys\nfrom pyhelm.cli import command_server\ncommand_server.preload()\n"
             "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                text=True, check=True).stdout.split())
    assert {"pyhelm.action.template", "pyhelm.action.install", "pyhelm.cli.repo",
            "pyhelm.repo.client", "jinja2", "jsonschema"} <= loaded
    assert not loaded & {"pyhelm.controller.loop", "pyhelm.repo.server", "uvicorn",
                         "pyhelm.async_client", "asyncio"}
