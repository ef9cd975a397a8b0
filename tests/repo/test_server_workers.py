"""``repo serve --workers`` (security audit, finding 5): no credential in a worker's
environment, and no metrics directory left behind."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from pyhelm.testing.seaweedfs import free_port

from .server_client import (
    AUTH,
    BEARER,
    PYHELM,
    MakeChart,
    children,
    request,
    wait_healthy,
)


def test_workers_get_no_credentials_in_their_environment_and_metrics_are_removed(
        tmp_path: Path, chart_package: MakeChart) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    process = subprocess.Popen(
        [PYHELM, "repo", "serve", str(tmp_path / "repo"), "--address", f"127.0.0.1:{port}",
         "--enable-upload", "--username", "admin", "--workers", "2"],
        env={**env, "PYHELM_REPO_PASSWORD": "secret", "PYHELM_REPO_TOKEN": "t0ken",
             "PYHELM_COMMAND_SERVER": "0"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        for i, auth in enumerate((AUTH, BEARER)):  # every worker has the credentials
            for j in range(3):
                assert request(f"{url}/api/charts", chart_package("demo", f"{i}.{j}.0"),
                               "POST", auth)[0] == 201
        workers = list(children(process.pid, "spawn_main"))
        assert len(workers) == 2
        environments = [Path(f"/proc/{pid}/environ").read_bytes() for pid in workers]
        for environ in environments:
            assert b"secret" not in environ and b"t0ken" not in environ
        metrics_dirs = {v for e in environments for v in e.split(b"\0")
                        if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")}
        assert len(metrics_dirs) == 1
        metrics_dir = Path(metrics_dirs.pop().split(b"=", 1)[1].decode())
        assert metrics_dir.is_dir()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert not metrics_dir.exists()
