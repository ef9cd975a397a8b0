"""The ASGI repository server on both storage backends: ChartMuseum's API, provenance
files, auth for reads, size limits, gzip, health and metrics; and replicas: two server
processes over one directory or bucket serving one consistent index."""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.repo.index import load_index
from pyhelm.repo.server import ServerSettings
from pyhelm.testing.seaweedfs import free_port

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


def request(url: str, data: bytes | None = None, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read(), {k.lower(): v for k, v in
                                                      response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def multipart(fields: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "pyhelm-test-boundary"
    body = b""
    for name, (filename, data) in fields.items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                 f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 ).encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def provenance(package: Path) -> bytes:
    import hashlib

    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    return (b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: demo\n\n...\n"
            b"files:\n  " + package.name.encode() + b": sha256:" + digest.encode() +
            b"\n-----BEGIN PGP SIGNATURE-----\n\nwsBcBAEBCgAQ\n-----END PGP SIGNATURE-----\n")


def test_chartmuseum_api_provenance_and_limits(storage_url: str, serve_repository: Callable[
        [ServerSettings], str], package: Callable[[str], Path]) -> None:
    url = serve_repository(ServerSettings(storage=storage_url, port=0, enable_upload=True,
                                          username="admin", password="secret",
                                          max_upload_bytes=64 * 1024))
    assert request(f"{url}/health")[:2] == (200, b'{"healthy":true}')
    assert json.loads(request(f"{url}/api/charts")[1]) == {}
    first = package("0.1.0")
    body, content_type = multipart({"chart": (first.name, first.read_bytes()),
                                    "prov": (first.name + ".prov", provenance(first))})
    status, reply, _ = request(f"{url}/api/charts", body, "POST",
                               {**AUTH, "Content-Type": content_type})
    assert (status, json.loads(reply)) == (201, {"saved": True, "name": "demo",
                                                 "version": "0.1.0"})
    assert request(f"{url}/demo-0.1.0.tgz.prov")[1] == provenance(first)
    assert request(f"{url}/demo-0.1.0.tgz")[1] == first.read_bytes()
    second = package("0.2.0")
    assert request(f"{url}/api/charts", second.read_bytes(), "POST", AUTH)[0] == 201
    assert request(f"{url}/api/charts", second.read_bytes(), "POST", AUTH)[0] == 409
    status, reply, _ = request(f"{url}/api/prov", provenance(second), "POST", AUTH)
    assert (status, json.loads(reply)["file"]) == (201, "demo-0.2.0.tgz.prov")
    assert request(f"{url}/api/prov", provenance(second), "POST", AUTH)[0] == 409
    assert request(f"{url}/api/prov", b"not signed", "POST", AUTH)[0] == 400

    charts = json.loads(request(f"{url}/api/charts")[1])
    assert [v["version"] for v in charts["demo"]] == ["0.2.0", "0.1.0"]
    assert [v["version"] for v in json.loads(request(f"{url}/api/charts/demo")[1])] == [
        "0.2.0", "0.1.0"]
    one = json.loads(request(f"{url}/api/charts/demo/0.1.0")[1])
    assert one["urls"] == ["demo-0.1.0.tgz"] and len(one["digest"]) == 64
    assert request(f"{url}/api/charts/demo/9.9.9", method="HEAD")[0] == 404
    assert request(f"{url}/api/charts/demo/0.1.0", method="HEAD")[0] == 200
    assert request(f"{url}/api/charts/nope")[0] == 404
    assert request(f"{url}/.pyhelm/meta/demo-0.1.0.tgz.json")[0] == 404

    # index: ETag/304, gzip only when accepted
    status, plain, headers = request(f"{url}/index.yaml")
    assert status == 200 and "content-encoding" not in headers
    assert [v.version for v in load_index(plain, "i").entries["demo"]] == ["0.2.0", "0.1.0"]
    status, zipped, zheaders = request(f"{url}/index.yaml",
                                       headers={"Accept-Encoding": "gzip"})
    assert zheaders["content-encoding"] == "gzip" and gzip.decompress(zipped) == plain
    assert request(f"{url}/index.yaml", headers={"If-None-Match": headers["etag"]})[0] == 304

    # limits and validation
    status, reply, _ = request(f"{url}/api/charts", b"x" * (64 * 1024 + 1), "POST", AUTH)
    assert status == 413 and b"upload larger than 65536 bytes" in reply
    body, content_type = multipart({"prov": ("x.prov", b"x")})
    status, reply, _ = request(f"{url}/api/charts", body, "POST",
                               {**AUTH, "Content-Type": content_type})
    assert status == 400 and b'no \\"chart\\" field' in reply
    assert request(f"{url}/api/charts", b"\x1f\x8bgarbage", "POST", AUTH)[0] == 400

    # delete removes the package, its provenance and its entry
    assert request(f"{url}/api/charts/demo/0.1.0", method="DELETE")[0] == 401
    assert request(f"{url}/api/charts/demo/0.1.0", method="DELETE", headers=AUTH)[0] == 200
    assert request(f"{url}/api/charts/demo/0.1.0", method="DELETE", headers=AUTH)[0] == 404
    assert request(f"{url}/demo-0.1.0.tgz")[0] == 404
    assert request(f"{url}/demo-0.1.0.tgz.prov")[0] == 404
    assert [v.version for v in load_index(request(f"{url}/index.yaml")[1], "i")
            .entries["demo"]] == ["0.2.0"]

    metrics = request(f"{url}/metrics")[1].decode()
    assert 'pyhelm_repo_uploads_total{result="created"} 2.0' in metrics
    assert 'pyhelm_repo_uploads_total{result="conflict"} 1.0' in metrics
    assert 'pyhelm_repo_requests_total{method="GET",route="/index.yaml",status="304"} 1.0' \
        in metrics
    assert "pyhelm_repo_request_duration_seconds_bucket" in metrics
    assert "pyhelm_repo_index_rebuilds_total" in metrics
    assert "pyhelm_repo_storage_errors_total 0.0" in metrics


def test_reads_can_require_the_credential_and_overwrite_can_be_allowed(
        tmp_path: Path, serve_repository: Callable[[ServerSettings], str],
        package: Callable[[str], Path]) -> None:
    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                          enable_upload=True, token="t0ken", auth_reads=True,
                                          allow_overwrite=True))
    bearer = {"Authorization": "Bearer t0ken"}
    assert request(f"{url}/index.yaml")[0] == 401
    assert request(f"{url}/api/charts")[0] == 401
    assert request(f"{url}/health")[0] == 200
    data = package("1.0.0").read_bytes()
    assert request(f"{url}/api/charts", data, "POST", bearer)[0] == 201
    assert request(f"{url}/api/charts", data, "POST", bearer)[0] == 201  # overwrite
    assert request(f"{url}/demo-1.0.0.tgz", headers=bearer)[1] == data


def test_a_storage_outage_is_a_clear_503(tmp_path: Path, seaweedfs: object,
                                         s3_url: str,
                                         serve_repository: Callable[[ServerSettings], str],
                                         package: Callable[[str], Path]) -> None:
    from pyhelm.testing.seaweedfs import SeaweedFS

    assert isinstance(seaweedfs, SeaweedFS)
    url = serve_repository(ServerSettings(storage=s3_url, port=0, enable_upload=True,
                                          username="admin", password="secret", index_ttl=0))
    assert request(f"{url}/api/charts", package("0.1.0").read_bytes(), "POST", AUTH)[0] == 201
    seaweedfs.stop()
    try:
        started = time.monotonic()
        status, body, _ = request(f"{url}/index.yaml")
        assert status == 503 and body.startswith(b'{"error":"storage unavailable: s3 list')
        assert request(f"{url}/demo-0.1.0.tgz")[0] == 503
        assert time.monotonic() - started < 60
        assert "pyhelm_repo_storage_errors_total 2.0" in request(f"{url}/metrics")[1].decode()
    finally:
        seaweedfs.restart()
    status, body, _ = request(f"{url}/index.yaml")
    assert status == 200 and "demo" in load_index(body, "i").entries


# -- replicas: separate server processes over one storage -------------------------------

@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Callable[[str, int], list[str]]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(storage: str, count: int) -> list[str]:
        urls = []
        for i in range(count):
            port = free_port()
            with (tmp_path / f"replica-{i}.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [PYHELM, "repo", "serve", "--storage", storage, "--address",
                     f"127.0.0.1:{port}", "--enable-upload", "--username", "admin",
                     "--index-ttl", "0.5"],
                    env={**os.environ, "PYHELM_REPO_PASSWORD": "secret"}, stdout=log,
                    stderr=log, start_new_session=True))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if request(f"{url}/health")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "replica-0.log").read_text()
                time.sleep(0.1)
        return urls

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def test_replicas_serve_one_index_and_agree_on_conflicts(
        storage_url: str, replicas: Callable[[str, int], list[str]], tmp_path: Path) -> None:
    urls = replicas(storage_url, 2)
    packages = [write_package(ROOT / "charts/demo", tmp_path / "many", version=f"2.0.{i}")
                for i in range(40)]
    statuses: list[int] = []

    def upload(i: int) -> None:
        statuses.append(request(f"{urls[i % 2]}/api/charts", packages[i].read_bytes(),
                                "POST", AUTH)[0])

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 40
    wanted = {f"2.0.{i}" for i in range(40)}
    deadline = time.monotonic() + 10  # index_ttl 0.5 s: well within
    bodies: dict[str, bytes] = {}
    for url in urls:
        while True:
            body = request(f"{url}/index.yaml")[1]
            if {v.version for v in load_index(body, url).entries.get("demo", [])} == wanted:
                bodies[url] = body
                break
            assert time.monotonic() < deadline, f"{url} does not list all 40 uploads"
            time.sleep(0.1)
    time.sleep(1.2)  # both past their ttl: byte-identical indexes, one ETag
    etags = {request(f"{url}/index.yaml")[2]["etag"] for url in urls}
    assert len(etags) == 1

    # the same new version through both replicas at once: one 201, one 409
    same = write_package(ROOT / "charts/demo", tmp_path / "same", version="3.0.0").read_bytes()
    results: list[int] = []
    barrier = threading.Barrier(2)

    def race(url: str) -> None:
        barrier.wait()
        results.append(request(f"{url}/api/charts", same, "POST", AUTH)[0])

    threads = [threading.Thread(target=race, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [201, 409]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_command_finishes_in_flight_uploads_on_sigterm(workers: int, tmp_path: Path,
                                                            package: Callable[[str], Path]
                                                            ) -> None:
    import socket

    port = free_port()
    process = subprocess.Popen(
        [PYHELM, "repo", "serve", str(tmp_path / "repo"), "--address", f"127.0.0.1:{port}",
         "--enable-upload", "--username", "admin", "--workers", str(workers)],
        env={**os.environ, "PYHELM_REPO_PASSWORD": "secret"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(f"{url}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        for _ in range(4):
            assert request(f"{url}/index.yaml")[0] == 200
        if workers > 1:  # every worker's counts, whichever worker answers /metrics
            metrics = request(f"{url}/metrics")[1].decode()
            assert 'route="/index.yaml",status="200"} 4.0' in metrics
        data = package("5.0.0").read_bytes()
        head = (f"POST /api/charts HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
                f"Authorization: {AUTH['Authorization']}\r\nConnection: close\r\n\r\n")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head.encode() + data[:100])
            time.sleep(0.5)  # the upload is in flight when the server is told to stop
            os.killpg(process.pid, signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(data[100:])
            reply = conn.recv(4096)
        assert reply.startswith(b"HTTP/1.1 201"), reply
        # uvicorn re-raises the signal once it has shut down gracefully
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert (tmp_path / "repo" / "demo-5.0.0.tgz").read_bytes() == data
        output = process.stdout.read().decode() if process.stdout else ""
        assert '"POST /api/charts HTTP/1.1" 201' in output  # the access log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout:
            process.stdout.close()


def test_a_replica_killed_mid_upload_loses_nothing_committed(
        storage_url: str, replicas: Callable[[str, int], list[str]],
        package: Callable[[str], Path]) -> None:
    import socket

    from pyhelm.repo.storage import open_storage

    first, second = replicas(storage_url, 2)
    committed = package("1.0.0").read_bytes()
    assert request(f"{first}/api/charts", committed, "POST", AUTH)[0] == 201
    data = package("1.1.0").read_bytes()
    port = int(first.rsplit(":", 1)[1])
    head = (f"POST /api/charts HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
            f"Authorization: {AUTH['Authorization']}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode() + data[: len(data) // 2])
        time.sleep(0.3)
        assert request(f"{first}/health")[0] == 200  # the upload is in flight
        os.kill(_server_pid(port), signal.SIGKILL)  # no graceful shutdown for this one
        with pytest.raises(OSError):
            conn.sendall(data[len(data) // 2:])
            if not conn.recv(1):
                raise ConnectionResetError("closed")
    keys = [o.key for o in open_storage(storage_url).list()]
    assert "demo-1.1.0.tgz" not in keys and all(".tmp-" not in k for k in keys)
    assert "demo-1.0.0.tgz" in keys
    time.sleep(0.6)
    index = load_index(request(f"{second}/index.yaml")[1], "second")
    assert [v.version for v in index.entries["demo"]] == ["1.0.0"]
    assert request(f"{second}/demo-1.0.0.tgz")[1] == committed


def _server_pid(port: int) -> int:
    """The pid of the process listening on 127.0.0.1:port (from /proc/net/tcp)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # LISTEN
            inode = fields[9]
    assert inode is not None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(proc.name)
        except OSError:
            continue
    raise AssertionError(f"no process listens on {port}")


def test_slow_clients_cannot_exhaust_the_server_and_uploads_are_time_bounded(
        tmp_path: Path, serve_repository: Callable[[ServerSettings], str],
        package: Callable[[str], Path]) -> None:
    import socket

    url = serve_repository(ServerSettings(directory=tmp_path / "repo", port=0,
                                          enable_upload=True, username="admin",
                                          password="secret", upload_timeout=1.0))
    port = int(url.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(300):  # slowloris: heads that never end
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            conn.sendall(b"GET /index.yaml HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(conn)
        started = time.monotonic()
        for _ in range(20):
            assert request(f"{url}/index.yaml")[0] == 200
        assert time.monotonic() - started < 10
        data = package("1.0.0").read_bytes()
        head = (f"POST /api/charts HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
                f"Authorization: {AUTH['Authorization']}\r\n\r\n")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head.encode() + data[:10])  # then stalls
            started = time.monotonic()
            reply = b""  # the head and the body may come in two segments
            while b"not received" not in reply and (chunk := conn.recv(4096)):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 408") and b"not received within 1s" in reply
        assert time.monotonic() - started < 5
        assert request(f"{url}/demo-1.0.0.tgz")[0] == 404
    finally:
        for conn in slow:
            conn.close()


def test_tenants_have_their_own_index_storage_and_credentials(
        storage_url: str, serve_repository: Callable[[ServerSettings], str],
        package: Callable[[str], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhelm.errors import RepoError
    from pyhelm.repo.server import load_tenants
    from pyhelm.repo.storage import open_storage

    monkeypatch.setenv("TEAM_B_TOKEN", "b-token")
    (tmp_path / "tenants.yaml").write_text(
        "tenants:\n  team-a: {username: a, password: a-secret}\n"
        "  team-b: {tokenEnv: TEAM_B_TOKEN}\n")
    url = serve_repository(ServerSettings(
        storage=storage_url, port=0, enable_upload=True, url="https://charts.example.com",
        tenants=load_tenants(str(tmp_path / "tenants.yaml"))))
    a_auth = {"Authorization": "Basic " + base64.b64encode(b"a:a-secret").decode()}
    b_auth = {"Authorization": "Bearer b-token"}
    data = package("1.0.0").read_bytes()
    assert request(f"{url}/api/team-a/charts", data, "POST", b_auth)[0] == 401
    assert request(f"{url}/api/team-a/charts", data, "POST", a_auth)[0] == 201
    assert request(f"{url}/api/team-b/charts", data, "POST", a_auth)[0] == 401
    assert request(f"{url}/api/team-b/charts", package("2.0.0").read_bytes(), "POST",
                   b_auth)[0] == 201
    assert request(f"{url}/api/team-c/charts", data, "POST", b_auth)[0] == 404
    assert request(f"{url}/api/charts")[0] == 404
    a_index = load_index(request(f"{url}/team-a/index.yaml")[1], "a")
    b_index = load_index(request(f"{url}/team-b/index.yaml")[1], "b")
    assert [v.version for v in a_index.entries["demo"]] == ["1.0.0"]
    assert a_index.entries["demo"][0].urls == ["https://charts.example.com/team-a/demo-1.0.0.tgz"]
    assert [v.version for v in b_index.entries["demo"]] == ["2.0.0"]
    assert request(f"{url}/team-a/demo-1.0.0.tgz")[1] == data
    assert request(f"{url}/team-b/demo-1.0.0.tgz")[0] == 404
    assert [v["version"] for v in json.loads(request(f"{url}/api/team-b/charts/demo")[1])] \
        == ["2.0.0"]
    keys = [o.key for o in open_storage(storage_url).list()]
    assert "team-a/demo-1.0.0.tgz" in keys and "team-b/demo-2.0.0.tgz" in keys
    (tmp_path / "bad.yaml").write_text("tenants:\n  t: {tokenEnv: NOT_SET_ANYWHERE}\n")
    with pytest.raises(RepoError, match=r"tenant 't': \$NOT_SET_ANYWHERE is not set"):
        load_tenants(str(tmp_path / "bad.yaml"))


@pytest.mark.helm
def test_helm_adds_updates_and_pulls_what_cm_push_style_uploads_stored(
        storage_url: str, serve_repository: Callable[[ServerSettings], str],
        package: Callable[[str], Path], tmp_path: Path) -> None:
    from pyhelm.testing.peers import helm_binary, helm_env

    url = serve_repository(ServerSettings(storage=storage_url, port=0, enable_upload=True,
                                          username="admin", password="secret",
                                          auth_reads=True, index_ttl=0))
    env = helm_env(tmp_path)

    def helm(*args: str) -> str:
        done = subprocess.run([str(helm_binary()), *args], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = package("0.5.0")
    body, content_type = multipart({"chart": (first.name, first.read_bytes())})
    assert request(f"{url}/api/charts", body, "POST",
                   {**AUTH, "Content-Type": content_type})[0] == 201
    helm("repo", "add", "hosted", url, "--username", "admin", "--password", "secret")
    assert [c["version"] for c in json.loads(helm("search", "repo", "hosted/demo", "-o",
                                                  "json"))] == ["0.5.0"]
    second = package("0.6.0")
    assert request(f"{url}/api/charts", second.read_bytes(), "POST", AUTH)[0] == 201
    helm("repo", "update", "hosted")
    (tmp_path / "pulled").mkdir()
    helm("pull", "hosted/demo", "-d", str(tmp_path / "pulled"))
    assert (tmp_path / "pulled" / "demo-0.6.0.tgz").read_bytes() == second.read_bytes()


def test_a_username_without_password_is_refused_at_start(tmp_path: Path) -> None:
    done = subprocess.run([PYHELM, "repo", "serve", str(tmp_path / "r"), "--enable-upload",
                           "--username", "admin", "--address", f"127.0.0.1:{free_port()}"],
                          env={k: v for k, v in os.environ.items()
                               if k not in ("PYHELM_REPO_PASSWORD", "PYHELM_REPO_TOKEN")},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: --username admin has no password: set $PYHELM_REPO_PASSWORD (or a token)")
    assert "Traceback" not in done.stderr
