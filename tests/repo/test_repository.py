"""Chart repositories end to end on 127.0.0.1: index, serve, add, search, pull, and
Helm 4's own client against what pyhelm serves."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.errors import RepoError
from pyhelm.repo import client
from pyhelm.repo.index import build_index, load_index, write_index
from pyhelm.repo.server import ServerSettings, make_server

ROOT = Path(__file__).resolve().parents[2]
AUTH = "Basic " + base64.b64encode(b"admin:secret").decode()


def request(url: str, data: bytes | None = None, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_index_is_helm_shaped_sorted_and_stable(tmp_path: Path) -> None:
    for version in ("0.1.0", "0.10.0", "0.2.0-rc.1", "0.2.0"):
        write_package(ROOT / "charts/demo", tmp_path, version=version)
    first = build_index(tmp_path, url="https://charts.example.com")
    assert [v.version for v in first.entries["demo"]] == ["0.10.0", "0.2.0", "0.2.0-rc.1",
                                                           "0.1.0"]
    entry = first.entries["demo"][0]
    assert entry.urls == ["https://charts.example.com/demo-0.10.0.tgz"]
    assert entry.digest == hashlib.sha256(
        (tmp_path / "demo-0.10.0.tgz").read_bytes()).hexdigest()
    write_index(first, tmp_path / "index.yaml")
    again = build_index(tmp_path, url="https://charts.example.com",
                        previous=load_index((tmp_path / "index.yaml").read_bytes(), "index"))
    assert [v.created for v in again.entries["demo"]] == [v.created for v in
                                                          first.entries["demo"]]


@pytest.mark.parametrize(("text", "message"), [
    ("entries: [1, 2\n", "line"), ("just text\n", "not a chart repository index"),
    ("apiVersion: v9\nentries: {}\n", "unsupported index apiVersion"),
])
def test_malformed_indexes_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(RepoError, match=message):
        load_index(text, "index.yaml")


def test_server_etags_uploads_auth_conflicts_and_deletes(served: str, tmp_path: Path) -> None:
    status, body, headers = request(f"{served}/index.yaml")
    assert status == 200 and headers["Content-Type"] == "application/x-yaml"
    assert request(f"{served}/index.yaml", headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert request(f"{served}/../../etc/passwd")[0] == 404
    package = write_package(ROOT / "charts/demo", tmp_path / "up", version="0.3.0")
    data = package.read_bytes()
    assert request(f"{served}/api/charts", data, "POST")[0] == 401
    assert request(f"{served}/api/charts", data, "POST", {"Authorization": AUTH})[0] == 201
    assert request(f"{served}/api/charts", data, "POST", {"Authorization": AUTH})[0] == 409
    status, body, _ = request(f"{served}/api/charts", b"not a chart", "POST",
                              {"Authorization": AUTH})
    assert status == 400 and b"not a valid chart" in body
    index = load_index(request(f"{served}/index.yaml")[1], "served")
    assert [v.version for v in index.entries["demo"]] == ["0.3.0", "0.1.0"]
    assert request(f"{served}/demo-0.3.0.tgz")[1] == data
    assert request(f"{served}/api/charts/demo/0.3.0", None, "DELETE",
                   {"Authorization": AUTH})[0] == 200
    assert request(f"{served}/demo-0.3.0.tgz")[0] == 404


def test_concurrent_uploads_and_downloads_never_see_a_torn_index(served: str,
                                                                 tmp_path: Path) -> None:
    packages = [write_package(ROOT / "charts/demo", tmp_path / "many", version=f"1.0.{i}")
                for i in range(12)]
    errors: list[str] = []

    def upload(path: Path) -> None:
        if request(f"{served}/api/charts", path.read_bytes(), "POST",
                   {"Authorization": AUTH})[0] != 201:
            errors.append(f"upload {path.name}")

    def read() -> None:
        for _ in range(20):
            try:
                load_index(request(f"{served}/index.yaml")[1], "served")
            except RepoError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=upload, args=(p,)) for p in packages]
    threads += [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    index = load_index(request(f"{served}/index.yaml")[1], "served")
    assert len(index.entries["demo"]) == 13


def test_client_add_search_pull_and_reference(served: str, user_dirs: Path) -> None:
    client.add(client.RepoEntry("local", served))
    assert client.RepoConfig.load().get("local").url == served
    hits = client.search("platform")
    assert [(h.name, h.version) for h in hits] == [("local/platform", "0.1.0")]
    assert client.search("nothing-like-this") == []
    assert [h.name for h in client.search("", constraint="^0.1")] == [
        "local/common-lib", "local/demo", "local/platform"]
    from pyhelm.action.repo import PullOptions, pull

    path = pull(PullOptions(ref="local/demo", destination=str(user_dirs / "out")))
    assert path.name == "demo-0.1.0.tgz"
    unpacked = pull(PullOptions(ref="local/demo", destination=str(user_dirs / "out2"),
                                untar=True))
    assert (unpacked / "Chart.yaml").exists()
    from pyhelm.action.chart_source import load_chart_ref

    assert load_chart_ref("local/platform").metadata.name == "platform"
    with pytest.raises(RepoError, match='no repository named "nope"'):
        load_chart_ref("nope/demo")
    with pytest.raises(RepoError, match=r'version "9\.9\.9" not found'):
        load_chart_ref("local/demo", "9.9.9")


def test_digest_mismatch_leaves_no_file(served: str, user_dirs: Path, tmp_path: Path) -> None:
    index_path = tmp_path / "repo" / "index.yaml"
    text = index_path.read_text()
    digest = load_index(text, "i").entries["demo"][0].digest
    index_path.write_text(text.replace(digest, "f" * 64))
    client.add(client.RepoEntry("local", served))
    from pyhelm.action.repo import PullOptions, pull

    with pytest.raises(RepoError, match="digest mismatch"):
        pull(PullOptions(ref="local/demo", destination=str(user_dirs / "out")))
    assert not (user_dirs / "out").exists() or not list((user_dirs / "out").iterdir())


def test_unreachable_and_silent_servers_are_one_line_errors(user_dirs: Path) -> None:
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(RepoError, match="timed out"):
            client.fetch(f"http://127.0.0.1:{port}/index.yaml", timeout=0.5)
    with pytest.raises(RepoError, match="cannot fetch"):
        client.add(client.RepoEntry("gone", f"http://127.0.0.1:{port}"))
    assert client.RepoConfig.load().repositories == []


@pytest.mark.helm
def test_helm_adds_searches_and_pulls_from_a_pyhelm_repository(served: str,
                                                                 tmp_path: Path) -> None:
    from pyhelm.testing.peers import helm_binary, helm_env

    env = helm_env(tmp_path)

    def helm(*args: str) -> str:
        done = subprocess.run([str(helm_binary()), *args], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    helm("repo", "add", "pyh", served)
    found = json.loads(helm("search", "repo", "pyh/", "-o", "json"))
    assert {f["name"] for f in found} == {"pyh/demo", "pyh/platform", "pyh/common-lib"}
    (tmp_path / "pulled").mkdir()
    helm("pull", "pyh/demo", "-d", str(tmp_path / "pulled"))
    pulled = (tmp_path / "pulled" / "demo-0.1.0.tgz").read_bytes()
    assert pulled == (tmp_path / "repo" / "demo-0.1.0.tgz").read_bytes()


def test_tls_serving_with_a_ca_file_and_bearer_token_uploads(tmp_path: Path,
                                                            user_dirs: Path) -> None:
    from pyhelm.testing.certs import generate_pki

    pki = generate_pki(tmp_path / "pki")
    directory = tmp_path / "tls-repo"
    write_package(ROOT / "charts/demo", directory)
    server = make_server(ServerSettings(
        directory=directory, port=0, enable_upload=True, token="t0ken",
        tls_cert=str(pki.serving_cert), tls_key=str(pki.serving_key)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(RepoError, match="cannot fetch"):  # unknown CA: refused
            client.add(client.RepoEntry("tls", url))
        client.add(client.RepoEntry("tls", url, ca_file=str(pki.ca_cert)))
        assert [h.name for h in client.search("demo")] == ["tls/demo"]
        import ssl

        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        package = write_package(ROOT / "charts/demo", tmp_path / "up", version="0.9.0")
        for token, expected in (("wrong", 401), ("t0ken", 201)):
            request = urllib.request.Request(
                f"{url}/api/charts", data=package.read_bytes(), method="POST",
                headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(request, timeout=10, context=context) as reply:
                    status = reply.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == expected
    finally:
        server.shutdown()
        server.server_close()
