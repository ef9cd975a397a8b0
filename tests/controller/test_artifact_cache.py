"""The controller's artifact cache: a thousand HelmReleases of one chart download it
and check its digest once; a new digest (or URL) is downloaded and checked again; an
artifact that fails its digest is never kept; the cache is bounded by entries and bytes."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.controller import artifact as artifact_module
from pyhelm.controller.artifact import Artifact, ArtifactCache, fetch_artifact
from pyhelm.errors import ArtifactError


class Served:
    def __init__(self, base: str) -> None:
        self.base = base
        self.payloads: dict[str, bytes] = {}
        self.requests: list[str] = []

    def artifact(self, name: str, payload: bytes, digest: str | None = None) -> Artifact:
        self.payloads["/" + name] = payload
        digest = digest or "sha256:" + hashlib.sha256(payload).hexdigest()
        return Artifact(url=f"{self.base}/{name}", digest=digest, revision="0.1.0@" + digest)


@pytest.fixture
def served() -> Iterator[Served]:
    state: list[Served] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state[0].requests.append(self.path)
            body = state[0].payloads.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Served(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The digests verify_digest was asked to check."""
    calls: list[str] = []
    real = artifact_module.verify_digest

    def counting(data: bytes, digest: str) -> None:
        calls.append(digest)
        real(data, digest)

    monkeypatch.setattr(artifact_module, "verify_digest", counting)
    return calls


def test_one_chart_is_downloaded_and_checked_once(served: Served, hashed: list[str],
                                                  tmp_path: Path) -> None:
    cache = ArtifactCache()
    chart = served.artifact("podinfo.tgz", b"chart bytes")
    for index in range(5):
        out = tmp_path / str(index)
        out.mkdir()
        path = fetch_artifact(chart, out, cache=cache)
        assert path.read_bytes() == b"chart bytes" and path.parent == out
    assert served.requests == ["/podinfo.tgz"]
    assert hashed == [chart.digest]


def test_a_new_digest_is_downloaded_and_checked_again(served: Served, hashed: list[str],
                                                      tmp_path: Path) -> None:
    cache = ArtifactCache()
    first = served.artifact("podinfo.tgz", b"one")
    fetch_artifact(first, tmp_path, cache=cache)
    second = served.artifact("podinfo.tgz", b"two")  # a new revision at the same URL
    assert fetch_artifact(second, tmp_path, cache=cache).read_bytes() == b"two"
    assert served.requests == ["/podinfo.tgz"] * 2
    assert hashed == [first.digest, second.digest]


def test_an_artifact_failing_its_digest_is_never_kept(served: Served, tmp_path: Path) -> None:
    cache = ArtifactCache()
    bad = served.artifact("podinfo.tgz", b"tampered", digest="sha256:" + "0" * 64)
    for _ in range(2):
        with pytest.raises(ArtifactError, match="digest mismatch"):
            fetch_artifact(bad, tmp_path, cache=cache)
    assert len(cache) == 0 and served.requests == ["/podinfo.tgz"] * 2


def test_the_cache_is_bounded_by_entries_and_bytes() -> None:
    by_count = ArtifactCache(entries=2, max_bytes=1000)
    for name in ("a", "b", "c"):
        by_count.put(name, "sha256:x", b"1")
    assert len(by_count) == 2 and by_count.get("a", "sha256:x") is None
    assert by_count.get("c", "sha256:x") == b"1"

    by_size = ArtifactCache(entries=10, max_bytes=10)
    by_size.put("a", "sha256:x", b"12345")
    by_size.put("b", "sha256:x", b"12345")
    by_size.get("a", "sha256:x")  # used last: b goes first
    by_size.put("c", "sha256:x", b"123")
    assert by_size.size <= 10 and by_size.get("b", "sha256:x") is None
    assert by_size.get("a", "sha256:x") == b"12345"
    by_size.put("huge", "sha256:x", b"x" * 11)  # larger than the whole cache: not kept
    assert by_size.get("huge", "sha256:x") is None and by_size.size <= 10


def test_the_controller_process_shares_one_bounded_cache() -> None:
    assert isinstance(artifact_module.ARTIFACTS, ArtifactCache)
    assert artifact_module.ARTIFACTS.entries >= 1
    assert artifact_module.ARTIFACTS.max_bytes <= 128 * 1024 * 1024
