"""A client for attack tests against ``repo serve``: plain requests whose status and
body are returned whatever they are, credentials, and the server's processes."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from pyhelm.repo.index import load_index
from pyhelm.repo.server import ServerSettings

PYHELM = str(Path(sys.executable).with_name("pyhelm"))
Serve = Callable[[ServerSettings], str]
MakeChart = Callable[..., bytes]


def request(url: str, data: bytes | None = None, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


AUTH = basic("admin", "secret")
BEARER = {"Authorization": "Bearer t0ken"}


def index_names(url: str) -> set[str]:
    status, body = request(f"{url}/index.yaml")
    assert status == 200, body
    return set(load_index(body, url).entries)


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(f"{url}/health")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)


def children(parent: int, marker: str) -> Iterator[int]:
    """The processes ``parent`` started whose command line contains ``marker``."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent and marker.encode() in (proc / "cmdline").read_bytes():
                yield int(proc.name)
        except (OSError, ValueError, IndexError):
            continue
