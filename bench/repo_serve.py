"""Chart repository server load benchmark: today's ``repo serve`` against the old one.

    python bench/repo_serve.py [--versions 10000] [--clients 200,1000] [--duration 10]
                               [--workers 2] [--s3]

One repository of ``--versions`` chart versions (tiny packages) is served on 127.0.0.1 by
the old http.server implementation (``bench/legacy_repo_server.py``, the server before
issue 13) and by ``pyhelm repo serve`` (uvicorn, ``--workers``; with ``--s3`` also over
a SeaweedFS bucket), and vegeta (``tools/vegeta``, built from Go modules) runs each
scenario at each client count for ``--duration`` seconds as fast as it can:
``index`` (GET /index.yaml, gzip accepted as Helm's Go client accepts it), ``packages``
(GET of random packages) and ``mixed`` (packages, with one upload in twenty through the
ChartMuseum API; repeated uploads are 409s and count as successes). Prints a Markdown
table of requests/s, p50 and p99 latency and error share.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VEGETA_DIR = ROOT / "tools" / "vegeta"
AUTH = "Basic " + base64.b64encode(b"admin:secret").decode()


def vegeta() -> Path:
    digest = hashlib.sha256()
    for path in sorted(VEGETA_DIR.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    binary = Path(base) / "pyhelm" / f"vegeta-{digest.hexdigest()[:16]}" / "vegeta"
    if not binary.is_file():
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary),
                        "github.com/tsenart/vegeta/v12"], cwd=VEGETA_DIR, check=True,
                       env={**os.environ, "CGO_ENABLED": "0"})
    return binary


def package(name: str, version: str) -> bytes:
    chart_yaml = (f"apiVersion: v2\nname: {name}\nversion: {version}\n"
                  f"description: benchmark chart {version}\n").encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in ((f"{name}/Chart.yaml", chart_yaml),
                           (f"{name}/values.yaml", b"replicas: 1\n"),
                           (f"{name}/templates/cm.yaml",
                            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/index.yaml", timeout=30) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} not ready within {timeout:.0f}s")


def start_server(command_for: Callable[[int], list[str]], env: dict[str, str],
                 log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The server started on a free port and answering; a port taken between picking and
    binding it (another process's ephemeral port) is picked again."""
    for attempt in range(3):
        port = free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(command_for(port), cwd=ROOT, env=env, stdout=log,
                                       stderr=log, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            return process, url
        except SystemExit:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
            output = log_path.read_text(errors="replace")
            if "Address already in use" in output and attempt < 2:
                continue
            print(output, file=sys.stderr)  # why the server did not start
            raise
    raise AssertionError("unreachable")


def attack(binary: Path, targets: list[dict[str, object]], clients: int,
           duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        for target in targets:
            handle.write(json.dumps(target) + "\n")
    try:
        attack_run = subprocess.run(
            [str(binary), "attack", "-format=json", f"-targets={handle.name}", "-rate=0",
             f"-workers={clients}", f"-max-workers={clients}", f"-duration={duration}s",
             "-timeout=30s", "-keepalive=true"], capture_output=True, check=True)
        report = json.loads(subprocess.run(
            [str(binary), "report", "-type=json"], input=attack_run.stdout,
            capture_output=True, check=True).stdout)
    finally:
        os.unlink(handle.name)
    codes = report.get("status_codes", {})
    ok = sum(n for code, n in codes.items() if code in ("200", "201", "409"))
    total = max(1, int(report["requests"]))
    return {"rps": float(report["throughput"]),
            "p50": report["latencies"]["50th"] / 1e6, "p99": report["latencies"]["99th"] / 1e6,
            "errors": 1 - ok / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10000)
    parser.add_argument("--clients", default="200,1000")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--s3", action="store_true", help="also serve from SeaweedFS")
    args = parser.parse_args()
    binary = vegeta()
    work = Path(tempfile.mkdtemp(prefix="pyhelm-repo-bench-"))
    source = work / "packages"
    source.mkdir()
    for i in range(args.versions):
        (source / f"bench-1.{i // 1000}.{i % 1000}.tgz").write_bytes(
            package("bench", f"1.{i // 1000}.{i % 1000}"))
    uploads = [package("bench-up", f"2.0.{i}") for i in range(200)]
    env = {**os.environ, "PYHELM_REPO_PASSWORD": "secret"}
    # each server's command for a port: the port is picked when the server starts, since
    # the load generator's client sockets take ephemeral ports meanwhile
    servers: list[tuple[str, Callable[[int], list[str]]]] = []
    for label in ("old http.server (dir)", "new uvicorn (dir)"):
        copy = work / label.split()[0]
        subprocess.run(["cp", "-r", str(source), str(copy)], check=True)
        if label.startswith("old"):
            servers.append((label, lambda port, copy=copy: [
                sys.executable, "-c",
                "import sys; sys.path.insert(0, 'bench'); from pathlib import Path; "
                "from legacy_repo_server import ServerSettings, make_server; "
                f"make_server(ServerSettings(directory=Path({str(copy)!r}), port={port}, "
                "enable_upload=True, username='admin', password='secret'))"
                ".serve_forever()"]))
        else:
            servers.append((label, lambda port, copy=copy: [
                str(Path(sys.executable).with_name("pyhelm")), "repo", "serve", str(copy),
                "--address", f"127.0.0.1:{port}", "--enable-upload", "--username", "admin",
                "--workers", str(args.workers)]))
    weed = None
    if args.s3:
        from pyhelm.repo.storage import open_storage
        from pyhelm.testing.seaweedfs import BUCKET, SeaweedFS

        weed = SeaweedFS.start(work / "seaweedfs")
        env.update(weed.env())
        os.environ.update(weed.env())
        store = open_storage(f"s3://{BUCKET}/bench")
        for path in sorted(source.iterdir()):
            store.put(path.name, path.read_bytes())
        servers.append(("new uvicorn (S3)", lambda port: [
            str(Path(sys.executable).with_name("pyhelm")), "repo", "serve", "--storage",
            f"s3://{BUCKET}/bench", "--address", f"127.0.0.1:{port}", "--enable-upload",
            "--username", "admin", "--workers", str(args.workers)]))
    rows = []
    rng = random.Random(7)
    try:
        for label, command_for in servers:
            log_path = work / f"{label.split()[0]}.log"
            started = time.monotonic()
            process, url = start_server(command_for, env, log_path)
            try:
                print(f"{label}: ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
                names = [p.name for p in source.iterdir()]
                gets = [{"method": "GET", "url": f"{url}/{rng.choice(names)}"}
                        for _ in range(2000)]
                posts = [{"method": "POST", "url": f"{url}/api/charts",
                          "body": base64.b64encode(data).decode(),
                          "header": {"Authorization": [AUTH]}} for data in uploads]
                mixed = [t for i, g in enumerate(gets[:1900])
                         for t in ([g, posts[i // 19 % len(posts)]] if i % 19 == 0 else [g])]
                scenarios = {
                    "index": [{"method": "GET", "url": f"{url}/index.yaml",
                               "header": {"Accept-Encoding": ["gzip"]}}],
                    "packages": gets, "mixed": mixed}
                for clients in [int(c) for c in args.clients.split(",")]:
                    for scenario, targets in scenarios.items():
                        result = attack(binary, targets, clients, args.duration)
                        rows.append((label, scenario, clients, result))
                        print(f"{label} {scenario} c={clients}: {result}", file=sys.stderr)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
    finally:
        if weed:
            weed.stop()
    print(f"\n{args.versions} chart versions, {args.duration}s per run, vegeta on loopback\n")
    print("| server | scenario | clients | req/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, scenario, clients, r in rows:
        print(f"| {label} | {scenario} | {clients} | {r['rps']:.0f} | {r['p50']:.1f} | "
              f"{r['p99']:.1f} | {r['errors']:.1%} |")


if __name__ == "__main__":
    main()
