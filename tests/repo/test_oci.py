"""OCI registries: a real ``docker-registry`` (distribution 2.8) on 127.0.0.1, open and
behind htpasswd, with pyhelm and Helm 4 pushing and pulling each other's charts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.errors import RepoError
from pyhelm.repo import oci, registry_auth
from pyhelm.testing.registry import RegistryUnavailable, running_registry

pytestmark = pytest.mark.registry
ROOT = Path(__file__).resolve().parents[2]


def _start_registry(directory: Path, htpasswd: Path | None = None) -> Iterator[str]:
    try:
        with running_registry(directory, htpasswd) as host:
            yield host
    except RegistryUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    yield from _start_registry(tmp_path / "open")


@pytest.fixture
def secure_registry(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "secure").mkdir()
    htpasswd = tmp_path / "secure" / "htpasswd"
    line = subprocess.run(["htpasswd", "-Bbn", "admin", "s3cret"], capture_output=True,
                          text=True, check=True).stdout
    htpasswd.write_text(line)
    yield from _start_registry(tmp_path / "secure", htpasswd)


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_push_then_pull_gives_the_same_bytes(registry: str, tmp_path: Path) -> None:
    package = write_package(ROOT / "charts/demo", tmp_path / "pkg")
    assert oci.push_chart(package, f"oci://{registry}/charts") == \
        f"oci://{registry}/charts/demo:0.1.0"
    second = write_package(ROOT / "charts/demo", tmp_path / "pkg", version="0.2.0+build.1")
    oci.push_chart(second, f"oci://{registry}/charts")
    pulled = oci.pull_chart(f"oci://{registry}/charts/demo", version="0.1.0",
                            dest_dir=tmp_path / "out")
    assert pulled.read_bytes() == package.read_bytes()
    newest = oci.pull_chart(f"oci://{registry}/charts/demo", dest_dir=tmp_path / "out")
    assert newest.name == "demo-0.2.0+build.1.tgz"
    by_constraint = oci.pull_chart(f"oci://{registry}/charts/demo", version="~0.1",
                                   dest_dir=tmp_path / "c")
    assert by_constraint.name == "demo-0.1.0.tgz"
    with pytest.raises(RepoError, match=r"version 9\.9\.9 not found"):
        oci.pull_chart(f"oci://{registry}/charts/demo", version="9.9.9",
                       dest_dir=tmp_path / "out")
    with pytest.raises(RepoError, match="no such chart"):
        oci.pull_chart(f"oci://{registry}/charts/nothing", dest_dir=tmp_path / "out")


def test_auth_is_required_and_login_stores_docker_style_credentials(
        secure_registry: str, tmp_path: Path) -> None:
    package = write_package(ROOT / "charts/demo", tmp_path / "pkg")
    with pytest.raises(RepoError, match="authentication required"):
        oci.push_chart(package, f"oci://{secure_registry}/charts")
    with pytest.raises(RepoError, match="authentication required or refused"):
        oci.login(secure_registry, "admin", "wrong")
    oci.login(secure_registry, "admin", "s3cret")
    assert registry_auth.credentials_for(secure_registry) == ("admin", "s3cret")
    assert oct(registry_auth.config_path().stat().st_mode & 0o777) == "0o600"
    oci.push_chart(package, f"oci://{secure_registry}/charts")
    pulled = oci.pull_chart(f"oci://{secure_registry}/charts/demo", version="0.1.0",
                            dest_dir=tmp_path / "out")
    assert pulled.read_bytes() == package.read_bytes()
    assert registry_auth.forget(secure_registry)
    assert registry_auth.credentials_for(secure_registry) is None


@pytest.mark.helm
def test_helm_and_pyhelm_pull_what_the_other_pushed(registry: str, tmp_path: Path) -> None:
    from pyhelm.testing.peers import helm_binary, helm_env

    env = helm_env(tmp_path)

    def helm(*args: str) -> None:
        done = subprocess.run([str(helm_binary()), *args], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr

    ours = write_package(ROOT / "charts/demo", tmp_path / "pkg")
    oci.push_chart(ours, f"oci://{registry}/charts")
    (tmp_path / "by-helm").mkdir()
    helm("pull", f"oci://{registry}/charts/demo", "--version", "0.1.0", "--plain-http",
         "-d", str(tmp_path / "by-helm"))
    assert (tmp_path / "by-helm" / "demo-0.1.0.tgz").read_bytes() == ours.read_bytes()

    theirs = write_package(ROOT / "charts/platform", tmp_path / "pkg")
    helm("push", str(theirs), f"oci://{registry}/charts", "--plain-http")
    pulled = oci.pull_chart(f"oci://{registry}/charts/platform", version="0.1.0",
                            dest_dir=tmp_path / "by-pyhelm")
    assert pulled.read_bytes() == theirs.read_bytes()


@pytest.mark.helm
def test_a_helm_chart_pushed_by_helm_renders_through_pyhelm_from_oci(
        registry: str, tmp_path: Path) -> None:
    """A Go-template chart straight from a registry: `pyhelm template oci://…` prints what
    `helm template` prints for the same reference."""

    from pyhelm.testing.peers import helm_binary, helm_env

    env = helm_env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "config"),
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    helm = str(helm_binary())
    subprocess.run([helm, "create", "gochart"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    subprocess.run([helm, "package", "gochart"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    subprocess.run([helm, "push", "gochart-0.1.0.tgz", f"oci://{registry}/charts",
                    "--plain-http"], cwd=tmp_path, env=env, check=True, capture_output=True)
    ref = f"oci://{registry}/charts/gochart"
    args = ["template", "r", ref, "--version", "0.1.0", "--set", "replicaCount=2"]
    theirs = subprocess.run([helm, *args, "--plain-http"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    ours = subprocess.run([str(Path(sys.executable).with_name("pyhelm")), *args,
                           "--plain-http"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


HELPER = '''#!/usr/bin/env python3
"""docker-credential-pyhelmtest: Docker's credential helper protocol on a JSON file."""
import json, os, sys
store = os.environ["CRED_STORE"]
data = json.load(open(store)) if os.path.exists(store) else {}
action, payload = sys.argv[1], sys.stdin.read().strip()
if action == "store":
    entry = json.loads(payload)
    data[entry["ServerURL"]] = {"Username": entry["Username"], "Secret": entry["Secret"]}
elif action == "erase":
    data.pop(payload, None)
elif action == "get":
    if payload not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": payload, **data[payload]}))
    sys.exit(0)
json.dump(data, open(store, "w"))
'''


@pytest.mark.helm
def test_credential_helpers_hold_logins_shared_with_helm(
        secure_registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``credsStore`` in config.json the password lives in the helper, not the file;
    pyhelm's login is what Helm then uses to pull, and the other way round."""
    import json
    import os

    from pyhelm.testing.peers import helm_binary, helm_env

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-pyhelmtest"
    helper.write_text(HELPER)
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CRED_STORE", str(tmp_path / "store.json"))
    config = registry_auth.config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"auths": {}, "credsStore": "pyhelmtest"}))

    oci.login(secure_registry, "admin", "s3cret")
    assert "s3cret" not in config.read_text()
    assert json.loads((tmp_path / "store.json").read_text())[secure_registry]["Secret"] == \
        "s3cret"
    package = write_package(ROOT / "charts/demo", tmp_path / "pkg")
    oci.push_chart(package, f"oci://{secure_registry}/charts")

    env = helm_env(tmp_path, HELM_REGISTRY_CONFIG=str(config))
    (tmp_path / "h").mkdir()
    pulled = subprocess.run([str(helm_binary()), "pull", f"oci://{secure_registry}/charts/demo",
                             "--version", "0.1.0", "--plain-http", "-d", str(tmp_path / "h")],
                            env=env, capture_output=True, text=True, check=False)
    assert pulled.returncode == 0, pulled.stderr
    assert registry_auth.forget(secure_registry)
    assert json.loads((tmp_path / "store.json").read_text()) == {}
    with pytest.raises(RepoError, match="authentication required"):
        oci.pull_chart(f"oci://{secure_registry}/charts/demo", version="0.1.0",
                       dest_dir=tmp_path / "out")


def test_library_registry_login_push_pull_logout(secure_registry: str, tmp_path: Path) -> None:
    import pyhelm

    package = pyhelm.package_chart(str(ROOT / "charts/demo"), destination=str(tmp_path))
    with pytest.raises(pyhelm.RepoError):
        pyhelm.registry_push(package, f"oci://{secure_registry}/charts")
    with pytest.raises(pyhelm.RepoError):
        pyhelm.registry_login(secure_registry, "admin", "wrong")
    pyhelm.registry_login(secure_registry, "admin", "s3cret")
    pushed = pyhelm.registry_push(package, f"oci://{secure_registry}/charts")
    assert pushed == f"oci://{secure_registry}/charts/demo:0.1.0"
    pulled = pyhelm.registry_pull(f"oci://{secure_registry}/charts/demo",
                                  destination=str(tmp_path / "out"))
    assert pulled.read_bytes() == package.read_bytes()
    assert pyhelm.registry_logout(secure_registry) is True
    assert pyhelm.registry_logout(secure_registry) is False


def test_registry_tls_flags_reach_the_registry(tmp_path: Path) -> None:
    """push's and registry login's --ca-file, --cert-file/--key-file and the insecure
    flag: a registry on HTTPS that asks for a client certificate."""
    import http.server
    import ssl
    import threading

    from pyhelm.action.registry import login
    from pyhelm.errors import RepoError
    from pyhelm.settings import RepoPaths
    from pyhelm.testing.certs import generate_pki
    from pyhelm.tls import TlsSettings

    pki = generate_pki(tmp_path / "pki")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/v2/" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.serving_cert, pki.serving_key)
    context.load_verify_locations(pki.ca_cert)
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    home = tmp_path / "home"
    paths = RepoPaths(repository_config=home / "repositories.yaml",
                      repository_cache=home / "cache", registry_config=home / "config.json",
                      content_cache=home / "content")
    client = dict(cert_file=str(pki.admin_cert), key_file=str(pki.admin_key))
    try:
        login(host, "u", "p", plain_http=False, paths=paths,
              tls=TlsSettings(ca_file=str(pki.ca_cert), **client))
        login(host, "u", "p", plain_http=False, paths=paths,
              tls=TlsSettings(insecure=True, **client))
        with pytest.raises(RepoError, match="cannot reach the registry"):
            login(host, "u", "p", plain_http=False, paths=paths, tls=TlsSettings(**client))
        with pytest.raises(RepoError, match="cannot reach the registry"):
            login(host, "u", "p", plain_http=False, paths=paths,
                  tls=TlsSettings(ca_file=str(pki.ca_cert)))
    finally:
        server.shutdown()
        server.server_close()
