"""The README's command lines run exactly as written, in order, each in bash.

Quick start and "Chart repositories and OCI registries" run in a scratch copy of the
repository's charts (their files land there, not in the clone), against the local control
plane, with a real ``docker-registry`` on 127.0.0.1:5000 for the OCI lines. A line that
starts a server (``repo serve``) runs in the background until the section ends; a line
ending in ``&`` starts one and goes on once the server answers. Lines run elsewhere:
``make test`` is CI itself, ``make demo`` and ``python -m pyhelm.testing.cluster`` are the
launcher tests' and the demo test's, bench lines are benchmarks, the engine lines are in
``test_readme_engines.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.testing.registry import running_registry

pytestmark = [pytest.mark.cluster, pytest.mark.registry]
ROOT = Path(__file__).resolve().parents[2]
REPO_PORT = 8879
REGISTRY_PORT = 5000


def section_lines(title: str, after: str | None = None) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    if after:
        section = section.split(after, 1)[1]
    return [line[4:] for line in section.splitlines()
            if line.startswith("    ") and not line.startswith("     ")
            and line.strip().split()[0] not in ("make", "python", ".venv/bin/python")]


def _wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


class Shell:
    """Runs README lines in a scratch directory with an isolated Helm/pyhelm home."""

    def __init__(self, work: Path, kubeconfig: str) -> None:
        self.work = work
        home = work.parent / "home"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("HELM_", "PYHELM_", "XDG_"))}
        self.env.update(HOME=str(home), KUBECONFIG=kubeconfig,
                        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                        PYHELM_HELM_ENGINE=os.environ.get("PYHELM_HELM_ENGINE", ""))
        self.servers: list[subprocess.Popen[bytes]] = []

    def run(self, line: str, stdin: str = "") -> str:
        command = line.split("  #", 1)[0].strip()
        if " serve " in f" {command} " and "&" not in command:
            self._serve(command)
            return ""
        if "&  " in command:  # "SERVER &  NEXT": start the server, then go on
            server, rest = command.split("&  ", 1)
            self._serve(server.strip())
            command = rest
        done = subprocess.run(["bash", "-c", command], cwd=self.work, env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=300,
                              check=False)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        return done.stdout

    def _serve(self, command: str) -> None:
        self.stop_servers()
        process = subprocess.Popen(["bash", "-c", command], cwd=self.work, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        self.servers.append(process)
        _wait_port(REPO_PORT, process)

    def stop_servers(self) -> None:
        for process in self.servers:
            os.killpg(process.pid, signal.SIGTERM)  # bash and the server it started
            process.wait(timeout=10)
        self.servers.clear()


@pytest.fixture
def shell(tmp_path: Path, kubeconfig: str) -> Iterator[Shell]:
    work = tmp_path / "work"
    work.mkdir()
    for directory in ("charts", "repo-index"):
        shutil.copytree(ROOT / directory, work / directory)
    runner = Shell(work, kubeconfig)
    yield runner
    runner.stop_servers()
    for namespace, name in (("shop", "web"), ("default", "web")):
        subprocess.run(["bash", "-c", f"pyhelm uninstall {name} -n {namespace}"], cwd=work,
                       env=runner.env, capture_output=True, check=False)


def test_quick_start_lines(shell: Shell) -> None:
    lines = section_lines("Quick start", after="Everything else")
    assert len(lines) == 6
    outputs = [shell.run(line) for line in lines]
    assert "kind: Service" in outputs[1]
    assert "Rollback to 1" in outputs[4]
    assert (shell.work / "mychart" / "Chart.yaml").exists()


def test_repository_and_registry_lines(shell: Shell, tmp_path: Path) -> None:
    lines = section_lines("Chart repositories and OCI registries")
    assert len(lines) == 9
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(subprocess.run(["htpasswd", "-Bbn", "admin", "s3cret"],
                                       capture_output=True, text=True, check=True).stdout)
    with running_registry(tmp_path / "registry", htpasswd, port=REGISTRY_PORT):
        for line in lines:
            output = shell.run(line, stdin="s3cret\n" if "--password-stdin" in line else "")
            if "search repo" in line:
                assert "local/demo" in output
    assert (shell.work / "demo" / "Chart.yaml").exists()  # pull --untar
    assert (shell.work / "charts" / "uses-lib" / "Chart.lock").exists()
