"""An index with null, invalid and misfiled entries reads as Helm reads it: bad entries
are skipped (not the whole repository), entries stay under their key, annotations stay."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.repo.index import load_index
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
INDEX = """apiVersion: v1
annotations:
  team: charts
entries:
  good:
  - {name: good, version: 1.0.0, description: fine, urls: [good-1.0.0.tgz], digest: abc}
  - null
  - {name: good, version: not-a-version, urls: [bad.tgz]}
  filed-here:
  - {name: other-name, version: 0.2.0, description: misfiled, urls: [o-0.2.0.tgz]}
  nameless:
  - {version: 1.0.0, urls: [n.tgz]}
generated: "2026-01-01T00:00:00Z"
"""


@pytest.fixture
def static_repo(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.yaml").write_text(INDEX)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_skipped_entries_keys_and_annotations() -> None:
    index = load_index(INDEX, "index.yaml")
    assert sorted(index.entries) == ["filed-here", "good"]
    assert [v.version for v in index.entries["good"]] == ["1.0.0"]
    assert index.entries["filed-here"][0].name == "other-name"
    assert index.annotations == {"team": "charts"}
    assert index.to_dict()["annotations"] == {"team": "charts"}
    assert len(index.skipped) == 3


def test_search_sees_what_helm_sees(static_repo: str, tmp_path: Path) -> None:
    env = peers.helm_env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "config"),
                         XDG_CACHE_HOME=str(tmp_path / "cache"))
    results = []
    for tool in (str(peers.helm_binary()), PYHELM):
        subprocess.run([tool, "repo", "add", "odd", static_repo], env=env, check=True,
                       capture_output=True)
        done = subprocess.run([tool, "search", "repo", "odd/", "-o", "json"], env=env,
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
        subprocess.run([tool, "repo", "remove", "odd"], env=env, check=True,
                       capture_output=True)
    assert results[1] == results[0]
    assert {r["name"] for r in results[0]} == {"odd/good", "odd/filed-here"}


@pytest.mark.helm
def test_index_as_json_holds_what_helms_does(tmp_path: Path) -> None:
    """`repo index --json`: index.yaml written as JSON (a YAML reader reads it as is)."""
    from pyhelm.chart.package import write_package

    indexes = []
    for tool in (str(peers.helm_binary()), str(Path(sys.executable).with_name("pyhelm"))):
        directory = tmp_path / Path(tool).name
        write_package(Path(__file__).resolve().parents[2] / "charts" / "demo", directory)
        subprocess.run([tool, "repo", "index", str(directory), "--json", "--url",
                        "https://charts.example.com"], env=peers.helm_env(tmp_path),
                       check=True, capture_output=True)
        whole = json.loads((directory / "index.yaml").read_text())
        indexes.append({name: [{k: v for k, v in entry.items() if k != "created"}
                               for entry in entries]
                        for name, entries in whole["entries"].items()})
        assert list(whole)[:3] == ["apiVersion", "generated", "entries"]
    assert indexes[1] == indexes[0]
