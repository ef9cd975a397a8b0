"""A hostile chart repository or registry against the client (repo add/update, pull,
template from a repository, dependency update, OCI pull), with Helm 4.3.1 run beside
pyhelm on the same servers wherever Helm has a rule.

127.0.0.1 is the repository the user trusts, 127.0.0.2 another host (hostile_server).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyhelm.chart.package import package_bytes
from pyhelm.errors import RepoError
from pyhelm.testing import peers

from .hostile_server import FAR, NEAR, HostileServer, Reply, Seen, redirect

PYHELM = str(Path(sys.executable).with_name("pyhelm"))
SECRET = "s3cret-PASS"
BASIC = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
LOGIN = ("--username", "user", "--password", SECRET)


@pytest.fixture
def near() -> Iterator[HostileServer]:
    server = HostileServer(NEAR)
    yield server
    server.close()


@pytest.fixture
def far() -> Iterator[HostileServer]:
    server = HostileServer(FAR)
    yield server
    server.close()


@pytest.fixture
def package(tmp_path: Path) -> bytes:
    """demo 0.1.0: one plain ConfigMap, which Helm and pyhelm render alike."""
    chart = tmp_path / "source" / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n")
    return package_bytes(chart)[2]


def index(entries: dict[str, list[dict[str, Any]]]) -> Reply:
    return Reply(body=yaml.safe_dump({"apiVersion": "v1", "entries": entries}).encode())


def entry(url: str, data: bytes, name: str = "demo", version: str = "0.1.0"
          ) -> dict[str, Any]:
    return {"apiVersion": "v2", "name": name, "version": version, "urls": [url],
            "digest": hashlib.sha256(data).hexdigest()}


def parent_chart(home: Path, repository: str, name: str = "demo") -> Path:
    """A chart that depends on ``name`` 0.1.0 from ``repository``."""
    root = home / "parent"
    root.mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
        f"- name: {name}\n  version: 0.1.0\n  repository: {repository}\n")
    return root


def guarded(reply: Reply) -> Any:
    """``reply`` for requests with the Basic login, 401 with a challenge otherwise."""
    def answer(seen: Seen) -> Reply:
        if seen.authorization == BASIC:
            return reply
        return Reply(401, b"login", {"WWW-Authenticate": 'Basic realm="near"'})

    return answer


class Cli:
    """``helm`` or ``pyhelm`` with its own config, cache and data under ``home``."""

    def __init__(self, tool: str, home: Path) -> None:
        self.tool = tool
        self.binary = str(peers.helm_binary()) if tool == "helm" else PYHELM
        self.env = peers.helm_env(home, XDG_CONFIG_HOME=str(home / "xdg-config"),
                                  XDG_CACHE_HOME=str(home / "xdg-cache"),
                                  HELM_REGISTRY_CONFIG=str(home / "registry.json"),
                                  PYHELM_COMMAND_SERVER="0")
        self.home = home

    def __call__(self, *args: str, ok: bool = True, cwd: Path | None = None
                 ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.binary, *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False, cwd=cwd)
        if ok:
            assert done.returncode == 0, (self.tool, args, done.stderr)
        return done


def both(tmp_path: Path) -> list[Cli]:
    return [Cli(tool, tmp_path / tool) for tool in ("helm", "pyhelm")]


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The error of a failed pyhelm command: exit 1, one line, no traceback."""
    assert done.returncode == 1, done
    lines = [line for line in done.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


# -- 7. credentials go only to the repository's own host --------------------------------


@pytest.mark.helm
def test_a_chart_url_on_another_host_gets_no_credentials(
        near: HostileServer, far: HostileServer, package: bytes, tmp_path: Path) -> None:
    near.routes["/index.yaml"] = index({"demo": [entry(f"{far.url}/c/demo-0.1.0.tgz",
                                                       package)]})
    far.routes["/c/demo-0.1.0.tgz"] = Reply(body=package)
    for cli in both(tmp_path):
        near.seen.clear()
        far.seen.clear()
        cli("repo", "add", "r", near.url, *LOGIN)
        cli("pull", "r/demo", "-d", str(cli.home))
        cli("template", "x", "demo", "--repo", near.url, *LOGIN)
        assert near.authorizations() == [BASIC, BASIC], cli.tool  # the index, twice
        parent = parent_chart(cli.home, near.url)
        cli("dependency", "update", str(parent))
        assert (parent / "charts" / "demo-0.1.0.tgz").read_bytes() == package
        assert far.authorizations() == [], cli.tool
        assert len(far.seen) == 3, cli.tool
    for cli in both(tmp_path / "pass"):  # new homes: Helm would reuse its cached chart
        far.seen.clear()  # --pass-credentials: the user allows every host
        cli("repo", "add", "all", near.url, *LOGIN, "--pass-credentials")
        cli.home.joinpath("out").mkdir()
        cli("pull", "all/demo", "-d", str(cli.home / "out"))
        cli("template", "x", "demo", "--repo", near.url, *LOGIN, "--pass-credentials")
        assert far.authorizations() == [BASIC, BASIC], cli.tool


@pytest.mark.helm
def test_a_redirect_to_another_host_drops_the_credentials(
        near: HostileServer, far: HostileServer, package: bytes, tmp_path: Path) -> None:
    near.routes["/index.yaml"] = redirect(f"{far.url}/index.yaml")
    far.routes["/index.yaml"] = index({"demo": [entry("demo-0.1.0.tgz", package)]})
    near.routes["/demo-0.1.0.tgz"] = redirect(f"{far.url}/demo-0.1.0.tgz", 307)
    far.routes["/demo-0.1.0.tgz"] = Reply(body=package)
    near.routes["/same/index.yaml"] = redirect(f"{near.url}/moved/index.yaml", 301)
    near.routes["/moved/index.yaml"] = guarded(index({}))
    for cli in both(tmp_path):
        near.seen.clear()
        far.seen.clear()
        cli("repo", "add", "r", near.url, *LOGIN)
        cli("pull", "r/demo", "-d", str(cli.home))
        assert far.authorizations() == [], cli.tool
        assert [s.path for s in far.seen] == ["/index.yaml", "/demo-0.1.0.tgz"], cli.tool
        cli("repo", "add", "same", f"{near.url}/same", *LOGIN)  # the same host: kept
        assert near.authorizations() == [BASIC] * 4, cli.tool


MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _blob(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serve_on_registry(registry: HostileServer, package: bytes, layer: Reply) -> None:
    """demo 0.1.0 as charts/demo:0.1.0 of a registry that asks for the Basic login,
    answering ``layer`` for the chart's blob."""
    config = json.dumps({"name": "demo", "version": "0.1.0", "apiVersion": "v2"}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                   "digest": _blob(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                    "digest": _blob(package), "size": len(package)}]}).encode()
    as_manifest = {"Content-Type": MANIFEST, "Docker-Content-Digest": _blob(manifest)}
    registry.routes.update({
        "/v2/": guarded(Reply(body=b"{}")),
        "/v2/charts/demo/tags/list": guarded(Reply(body=b'{"tags": ["0.1.0"]}')),
        "/v2/charts/demo/manifests/0.1.0": guarded(Reply(body=manifest, headers=as_manifest)),
        f"/v2/charts/demo/manifests/{_blob(manifest)}": guarded(
            Reply(body=manifest, headers=as_manifest)),
        f"/v2/charts/demo/blobs/{_blob(config)}": guarded(Reply(body=config)),
        f"/v2/charts/demo/blobs/{_blob(package)}": guarded(layer),
    })


def registry_login(path: Path, host: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": {host: {
        "auth": base64.b64encode(f"user:{SECRET}".encode()).decode()}}}))


@pytest.mark.helm
def test_an_oci_blob_redirected_to_another_host_gets_no_registry_login(
        near: HostileServer, far: HostileServer, package: bytes, tmp_path: Path) -> None:
    """S3-backed registries answer a blob GET with a redirect to a signed URL."""
    serve_on_registry(near, package, redirect(f"{far.url}/bucket/layer?X-Amz-Signature=abc",
                                              307))
    far.routes["/bucket/layer"] = Reply(body=package)
    for cli in both(tmp_path):
        registry_login(cli.home / "registry.json", near.host)
        near.seen.clear()
        far.seen.clear()
        cli("pull", f"oci://{near.host}/charts/demo", "--version", "0.1.0",
            *(["--plain-http"] if cli.tool == "helm" else []), "-d", str(cli.home))
        assert (cli.home / "demo-0.1.0.tgz").read_bytes() == package, cli.tool
        assert BASIC in near.authorizations(), cli.tool
        assert far.authorizations() == [] and len(far.seen) == 1, cli.tool


# -- 9. a login written in a repository URL -------------------------------------------


def test_logins_in_urls_origins_and_redaction() -> None:
    from pyhelm.repo.http_access import origin, redacted, split_login

    assert split_login("http://user:p%40ss@h:8080/x?y=1") == ("http://h:8080/x?y=1", "user",
                                                              "p@ss")
    assert split_login("https://h/charts") == ("https://h/charts", "", "")
    assert redacted("https://user:pw@h/charts") == "https://user:***@h/charts"
    assert redacted("https://ghp_token@h/charts") == "https://***@h/charts"
    assert redacted("https://h:99999999/") == "https://h:99999999/"
    assert origin("http://H:80/a") == origin("http://h/b")
    assert origin("https://h/") != origin("http://h/")
    assert origin("http://127.0.0.1:1/") != origin("http://127.0.0.1:2/")


@pytest.mark.helm
def test_a_login_in_the_url_is_used_as_helm_uses_it_and_never_printed(
        near: HostileServer, package: bytes, tmp_path: Path) -> None:
    near.routes["/index.yaml"] = guarded(index({"demo": [entry("demo-0.1.0.tgz", package)]}))
    near.routes["/demo-0.1.0.tgz"] = guarded(Reply(body=package))
    url = f"http://user:{SECRET}@{near.host}/"
    for cli in both(tmp_path):
        near.seen.clear()
        cli("repo", "add", "r", url)
        cli("pull", "r/demo", "-d", str(cli.home))
        cli("template", "x", "demo", "--repo", url)
        assert near.authorizations() == [BASIC] * 4 and len(near.seen) == 4, cli.tool

    pyhelm = Cli("pyhelm", tmp_path / "pyhelm")
    for listing in (("repo", "list"), ("repo", "list", "-o", "json"),
                    ("repo", "list", "-o", "yaml")):
        assert SECRET not in pyhelm(*listing).stdout
    missing = f"http://user:{SECRET}@{near.host}/missing"
    for failing in (("repo", "add", "gone", f"http://user:{SECRET}@127.0.0.1:1/"),
                    ("repo", "add", "missing", missing),
                    ("template", "x", "demo", "--repo", missing),
                    ("pull", f"{missing}/demo-0.1.0.tgz", "-d", str(pyhelm.home))):
        error = one_line_error(pyhelm(*failing, ok=False))
        assert SECRET not in error and "127.0.0.1:" in error, error

    # Helm keeps the login in the URL of repositories.yaml: pyhelm reads that file too
    on_helms_files = Cli("pyhelm", tmp_path / "helm")
    listed = on_helms_files("repo", "list").stdout
    assert SECRET not in listed and f"http://user:***@{near.host}/" in listed
    near.seen.clear()
    on_helms_files("repo", "update")
    on_helms_files("pull", "r/demo", "-d", str(tmp_path))
    assert near.authorizations() == [BASIC, BASIC]


# -- 8. names from an index never write outside their directory --------------------------


ESCAPING_NAMES = ["../../escaped/pwned", "{tmp}/abs/pwned", "..", "pwned\n"]


def nothing_escaped(tmp_path: Path) -> None:
    found = [p for p in tmp_path.rglob("*") if "pwned" in p.name or p.name == "escaped"]
    assert found == []
    assert not list(tmp_path.glob("*.tgz"))


@pytest.mark.helm
@pytest.mark.parametrize("name", ESCAPING_NAMES)
def test_index_entries_whose_names_escape_are_skipped_and_nothing_is_written(
        near: HostileServer, package: bytes, tmp_path: Path, name: str) -> None:
    name = name.format(tmp=tmp_path)
    near.routes["/index.yaml"] = index({"demo": [entry("demo-0.1.0.tgz", package, name)]})
    near.routes["/demo-0.1.0.tgz"] = Reply(body=package)
    for cli in both(tmp_path):
        added = cli("repo", "add", "r", near.url)
        out = cli.home / "work" / "out"
        out.mkdir(parents=True)
        parent = parent_chart(cli.home / "work", near.url)
        failures = [cli("pull", "r/demo", "-d", str(out), ok=False),
                    cli("template", "x", "r/demo", ok=False),
                    cli("dependency", "update", str(parent), ok=False)]
        if cli.tool == "pyhelm" or name != "pwned\n":  # Helm keeps that name: no escape
            assert all(f.returncode != 0 for f in failures), (cli.tool, failures)
            assert list(out.iterdir()) == [] and list((parent / "charts").glob("*")) == []
        if cli.tool == "pyhelm":
            assert added.stderr.startswith("warning: skipping invalid entry for chart "
                                           f"'demo' from {near.url}/index.yaml: chart name "
                                           f"{name!r} is invalid"), added.stderr
            for failure in failures:
                one_line_error(failure)
    nothing_escaped(tmp_path)


def test_a_download_checks_the_name_version_and_file_name_itself(tmp_path: Path) -> None:
    """Defence in depth: an entry that reaches download (a cached index edited by hand)
    is refused before anything is fetched or written."""
    from pyhelm.repo import client
    from pyhelm.repo.index import ChartVersion

    repo = client.RepoEntry("r", "http://127.0.0.1:1")
    for name, version in (("../../pwned", "0.1.0"), ("/abs/pwned", "0.1.0"),
                          ("demo", "0.1.0/../../pwned"), ("demo", "0.1.0\n")):
        chart = ChartVersion({"name": name, "version": version}, ["demo.tgz"], "", "")
        with pytest.raises(RepoError, match=rf"^repository r: index entry '{name}'"):
            client.download(chart, repo.url, repo, tmp_path / "out")
    nothing_escaped(tmp_path)


def test_confined_refuses_every_way_out(tmp_path: Path) -> None:
    from pyhelm.repo.safe_paths import confined

    base = tmp_path / "base"
    base.mkdir()
    (base / "link").symlink_to(tmp_path)
    assert confined(base, "demo-0.1.0.tgz") == base / "demo-0.1.0.tgz"
    assert confined(base, "templates/a.yaml") == base / "templates" / "a.yaml"
    for name in ("../x", "a/../../x", "/etc/x", str(tmp_path / "x"), "", ".", "link/x"):
        with pytest.raises(RepoError, match="outside"):
            confined(base, name)


@pytest.mark.helm
def test_a_chart_url_whose_file_name_is_a_way_out_is_refused(
        near: HostileServer, package: bytes, tmp_path: Path) -> None:
    for path in ("/c/..", "/c/."):
        near.routes[path] = Reply(body=package)
    for cli in both(tmp_path):
        out = cli.home / "work" / "out"
        out.mkdir(parents=True)
        for path in ("/c/..", "/c/."):
            failed = cli("pull", f"{near.url}{path}", "-d", str(out), ok=False)
            assert failed.returncode != 0, (cli.tool, failed)
        if cli.tool == "pyhelm":  # Helm leaves its temporary file beside out/
            assert "not a chart file name" in one_line_error(failed)
            assert list(out.iterdir()) == [] and list(out.parent.iterdir()) == [out]


@pytest.mark.helm
def test_a_repository_name_with_a_slash_is_refused_as_helm_refuses_it(
        near: HostileServer, tmp_path: Path) -> None:
    near.routes["/index.yaml"] = index({})
    for cli in both(tmp_path):
        failed = cli("repo", "add", "../../pwned", near.url, ok=False)
        assert failed.returncode == 1
        assert "contains '/'" in failed.stderr, (cli.tool, failed.stderr)
    nothing_escaped(tmp_path)


# -- 3. an archive bomb served by a repository -----------------------------------------


@pytest.mark.parametrize("go_template", [False, True], ids=["jinja2", "helm-engine"])
def test_an_archive_bomb_from_a_repository_is_refused_in_one_line(
        near: HostileServer, tmp_path: Path, go_template: bool) -> None:
    """4.1 KB whose nine subchart archives inflate to 900 MiB (Helm 4.3.1 loads it, at a
    peak of 1.7 GB): the budget spans the subcharts, and is spent before a Helm chart is
    handed to Helm's engine (whose loader gives each archive a budget of its own)."""
    from pyhelm.testing.archive_bombs import nested_bomb

    bomb = nested_bomb(go_template=go_template)
    near.routes["/index.yaml"] = index({"bomb": [entry("bomb-1.0.0.tgz", bomb, "bomb",
                                                       "1.0.0")]})
    near.routes["/bomb-1.0.0.tgz"] = Reply(body=bomb)
    pyhelm = Cli("pyhelm", tmp_path)
    pyhelm("repo", "add", "r", near.url)
    error = one_line_error(pyhelm("template", "x", "r/bomb", ok=False))
    assert error.endswith("bomb-1.0.0.tgz/charts/sub0.tgz: decompressed chart is larger "
                          "than the maximum size 104857600"), error


# -- an endless answer ---------------------------------------------------------------------


def test_an_endless_index_or_chart_is_cut_off_in_bounded_memory(
        near: HostileServer, package: bytes, tmp_path: Path) -> None:
    """2 GiB of index, of chart and of OCI blob, streamed: refused after the limit, not
    read whole."""
    endless = Reply(body=b"#" * (1 << 20), repeat=2048)
    near.routes["/index.yaml"] = endless
    near.routes["/good/index.yaml"] = index({"demo": [entry("demo-0.1.0.tgz", package)]})
    near.routes["/good/demo-0.1.0.tgz"] = endless
    serve_on_registry(near, package, endless)
    pyhelm = Cli("pyhelm", tmp_path)
    registry_login(tmp_path / "registry.json", near.host)
    pyhelm("repo", "add", "good", f"{near.url}/good")
    for args, limit in ((("repo", "add", "r", near.url), 64 << 20),
                        (("pull", "good/demo", "-d", str(tmp_path)), 128 << 20),
                        (("pull", f"oci://{near.host}/charts/demo", "--version", "0.1.0",
                          "-d", str(tmp_path)), 128 << 20)):
        timed = subprocess.run(["/usr/bin/time", "-f", "%M", pyhelm.binary, *args],
                               env=pyhelm.env, capture_output=True, text=True, timeout=120,
                               check=False)
        *stderr, peak_kib = [line for line in timed.stderr.splitlines()
                             if not line.startswith("Command exited")]
        assert timed.returncode == 1 and len(stderr) == 1, timed.stderr
        assert stderr[0].endswith(f"is larger than {limit} bytes"), stderr
        assert int(peak_kib) < 400_000, peak_kib


# -- a slow answer -------------------------------------------------------------------------


def test_repo_add_and_update_give_up_after_their_timeout_as_helm(
        near: HostileServer, package: bytes, tmp_path: Path) -> None:
    """`--timeout` bounds the index download of `repo add` and `repo update`."""
    import time

    def slow(_seen: Any) -> Reply:
        time.sleep(3)
        return index({"demo": [entry("demo-0.1.0.tgz", package)]})

    near.routes["/index.yaml"] = slow
    for tool in ("helm", "pyhelm"):
        cli = Cli(tool, tmp_path / tool)
        started = time.monotonic()
        quick = subprocess.run([cli.binary, "repo", "add", "slow", near.url, "--timeout",
                                "1s"], env=cli.env, capture_output=True, text=True,
                               timeout=60, check=False)
        assert quick.returncode == 1 and time.monotonic() - started < 2.9, (tool, quick)
        patient = subprocess.run([cli.binary, "repo", "add", "slow", near.url, "--timeout",
                                  "10s"], env=cli.env, capture_output=True, text=True,
                                 timeout=60, check=False)
        assert patient.returncode == 0, (tool, patient.stderr)
        update = subprocess.run([cli.binary, "repo", "update", "--timeout", "1s"],
                                env=cli.env, capture_output=True, text=True, timeout=60,
                                check=False)
        assert "slow" in update.stdout + update.stderr, (tool, update)
