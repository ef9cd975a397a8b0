"""The README's command lines run exactly as written, in order, each in bash.

Quick start, "Chart repositories and OCI registries" and "Hosting a chart repository" run
in a scratch copy of the repository's charts (their files land there, not in the clone),
against the local control plane, with a real ``docker-registry`` on 127.0.0.1:5000 for
the OCI lines and a real SeaweedFS on 127.0.0.1 as the hosting lines' S3 bucket. A line that
starts a server (``repo serve``) runs in the background until the section ends; a line
ending in ``&`` starts one and goes on once the server answers. Lines run elsewhere:
``make test`` is CI itself, ``make demo`` and ``python -m pyhelm.testing.cluster`` are the
launcher tests' and the demo test's, bench lines are benchmarks, the engine lines are in
``test_readme_engines.py``.
"""

from __future__ import annotations

import json
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

from pyhelm.testing import peers
from pyhelm.testing.registry import running_registry
from pyhelm.testing.seaweedfs import SeaweedFS

pytestmark = [pytest.mark.cluster, pytest.mark.registry]
ROOT = Path(__file__).resolve().parents[2]
REPO_PORT = 8879
REGISTRY_PORT = 5000
HOSTING = "Hosting a chart repository (`pyhelm repo serve` in production)"


def section_lines(title: str, after: str | None = None) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    if after:
        section = section.split(after, 1)[1]
    return [line[4:] for line in section.splitlines()
            if line.startswith("    ") and not line.startswith("     ")
            and line.strip().split()[0] not in ("make", "python", ".venv/bin/python")]


def section_commands(title: str, after: str | None = None) -> list[str]:
    """The section's command lines with their ``\\`` continuations joined, as bash
    reads them."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    if after:
        section = section.split(after, 1)[1]
    commands: list[str] = []
    pending = ""
    for line in section.splitlines():
        if pending:
            pending += " " + line.strip()
        elif line.startswith("    ") and not line.startswith("     "):
            pending = line[4:]
        else:
            continue
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        commands.append(pending)
        pending = ""
    return commands


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
        if command.startswith("export "):  # later lines are other shells: keep it here
            import shlex

            for word in shlex.split(command)[1:]:
                key, _, value = word.partition("=")
                self.env[key] = value
            return ""
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


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[SeaweedFS]:
    server = SeaweedFS.start(tmp_path / "seaweedfs", access_key="ci-key",
                             secret_key="ci-secret", bucket="charts")
    yield server
    server.stop()


@pytest.mark.helm
def test_hosting_lines(shell: Shell, bucket: SeaweedFS) -> None:
    """One replica over S3 (the identity the lines export, bucket ``charts``), an upload
    with curl, Helm adding and searching the repository with the credentials; then the
    chart that deploys the server, installed on the local cluster."""
    lines = section_commands(HOSTING)
    assert len(lines) == 5
    assert lines[1].startswith("pyhelm repo serve --storage") and lines[1].endswith(
        "--max-upload-size 20000000")  # the continuation lines are part of the command
    shell.env["S3_ENDPOINT"] = bucket.endpoint
    shell.env["PATH"] = f"{peers.helm_binary().parent}:{shell.env['PATH']}"
    outputs = [shell.run(line) for line in lines[:3]]
    assert '"saved":true' in outputs[2].replace(" ", "")  # the upload's answer
    found = shell.run(lines[3])
    assert "stable/demo" in found and "0.3.0" in found
    # the package went to the bucket, not to a directory
    listing = subprocess.run(
        ["curl", "-fsS", f"http://127.0.0.1:{bucket.ports['filer']}/buckets/charts/stable/"],
        capture_output=True, text=True, check=True).stdout
    assert "demo-0.3.0.tgz" in listing
    shell.stop_servers()

    kubectl = str(peers.kubectl_binary())
    try:
        shell.run(lines[4])
        deployment = json.loads(shell.run(
            f"{kubectl} get deployment charts-chart-repository -n charts -o json"))
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[:3] == ["repo", "serve", "--storage=s3://charts/stable"]
        ingress = json.loads(shell.run(f"{kubectl} get ingress -n charts -o json"))
        assert ingress["items"][0]["spec"]["rules"][0]["host"] == "charts.example.com"
    finally:
        shell.run("pyhelm uninstall charts -n charts || true")
        shell.run(f"{kubectl} delete namespace charts --wait=false || true")
