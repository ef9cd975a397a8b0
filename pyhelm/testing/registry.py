"""A real OCI registry (Debian's ``docker-registry``, distribution 2.8) on 127.0.0.1 for
tests: open, or behind an htpasswd file; on a free port unless one is asked for."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RegistryUnavailable(RuntimeError):
    """docker-registry is missing or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_registry(directory: Path, htpasswd: Path | None = None,
                     port: int | None = None) -> Iterator[str]:
    """Run a registry storing under ``directory``; yields ``127.0.0.1:PORT``."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RegistryUnavailable("docker-registry is not installed (run `make system-deps`)")
    port = port or free_port()
    auth = (f"auth:\n  htpasswd:\n    realm: pyhelm\n    path: {htpasswd}\n"
            if htpasswd else "")
    config = directory / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                      f"{directory / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}")
    with (directory / "registry.log").open("wb") as log:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT)
        host = f"127.0.0.1:{port}"
        try:
            _wait_up(host, process, config)
            yield host
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_up(host: str, process: subprocess.Popen[bytes], config: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # 401 from a protected one: it is up
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RegistryUnavailable(f"docker-registry did not start: {config}") from None
            time.sleep(0.1)
