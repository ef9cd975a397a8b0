"""A real S3-compatible server on 127.0.0.1 for tests: SeaweedFS's ``weed mini``.

``SeaweedFS.start(directory)`` builds (or reuses) ``weed`` (``seaweedfs_build``), starts
``weed mini`` bound to 127.0.0.1 on free ports with one S3 identity (access key, secret)
allowed everything and one bucket (``BUCKET``), waits until its S3 gateway answers, and
``stop()`` ends it (and only it). ``restart()`` stops and starts it on the same ports
and data, for fault tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pyhelm.testing.seaweedfs_build import build

BUCKET = "pyhelm-test"  # created at start; tests isolate themselves by prefix
ACCESS_KEY = "pyhelm-test"
SECRET_KEY = "pyhelm-test-secret-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SeaweedFS:
    directory: Path
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    bucket: str = BUCKET

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def env(self) -> dict[str, str]:
        """Environment for S3 clients of this server."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_REGION": "us-east-1", "PYHELM_S3_ENDPOINT": self.endpoint}

    @classmethod
    def start(cls, directory: Path, *, access_key: str = ACCESS_KEY,
              secret_key: str = SECRET_KEY, bucket: str = BUCKET) -> SeaweedFS:
        """Running, with this one identity and this one bucket."""
        server = cls(directory, access_key=access_key, secret_key=secret_key, bucket=bucket)
        server.ports = {name: free_port() for name in
                        ("master", "volume", "filer", "s3", "master.grpc", "volume.grpc",
                         "filer.grpc", "s3.grpc", "webdav", "admin", "admin.grpc",
                         "iceberg", "lance")}
        server._launch()
        return server

    def _command(self, weed: Path) -> list[str]:
        config = self.directory / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "pyhelm", "credentials": [{"accessKey": self.access_key,
                                               "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        p = self.ports
        return [str(weed), "mini", f"-dir={self.directory / 'data'}", "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1", f"-master.port={p['master']}",
                f"-volume.port={p['volume']}", f"-filer.port={p['filer']}",
                f"-s3.port={p['s3']}", f"-master.port.grpc={p['master.grpc']}",
                f"-volume.port.grpc={p['volume.grpc']}", f"-filer.port.grpc={p['filer.grpc']}",
                f"-s3.port.grpc={p['s3.grpc']}", f"-webdav.port={p['webdav']}",
                f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin.grpc']}",
                f"-s3.config={config}", "-admin.port.legacy=0", "-webdav=false",
                f"-bucket={self.bucket}",
                f"-s3.port.iceberg={p['iceberg']}", f"-s3.port.lance={p['lance']}"]

    def _launch(self, timeout: float = 90) -> None:
        weed = build()
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        with (self.directory / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(self._command(weed), stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env={**os.environ, "HOME": str(self.directory)})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}: "
                                   f"see {self.directory / 'weed.log'}")
            try:  # the bucket is made after start: ready when the filer shows it
                filer = f"http://127.0.0.1:{self.ports['filer']}/buckets/{self.bucket}/"
                with urllib.request.urlopen(filer, timeout=2):
                    pass
                with urllib.request.urlopen(f"{self.endpoint}/", timeout=2):
                    return
            except urllib.error.HTTPError as exc:
                if exc.url.startswith(self.endpoint):
                    return  # 403 for an anonymous listing: the gateway is up
                time.sleep(0.2)
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"weed mini did not serve S3 within {timeout:.0f}s: "
                           f"see {self.directory / 'weed.log'}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self._launch()
