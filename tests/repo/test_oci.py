"""OCI registries: a real ``docker-registry`` (distribution 2.8) on 127.0.0.1, open and
behind htpasswd, with pyhelm and Helm 4 pushing and pulling each other's charts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.chart.package import write_package
from pyhelm.errors import RepoError
from pyhelm.repo import oci, registry_auth

pytestmark = pytest.mark.registry
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_registry(directory: Path, htpasswd: Path | None = None) -> Iterator[str]:
    directory.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("docker-registry is not installed (run `make system-deps`)", pytrace=False)
    port = _free_port()
    auth = (f"auth:\n  htpasswd:\n    realm: pyhelm\n    path: {htpasswd}\n"
            if htpasswd else "")
    config = directory / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                      f"{directory / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}")
    log = (directory / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log,
                               stderr=subprocess.STDOUT)
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1).close()
            break
        except urllib.error.HTTPError:
            break  # 401 from the protected one: it is up
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"docker-registry did not start: {config}", pytrace=False)
            time.sleep(0.1)
    try:
        yield host
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


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
    import sys

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
    ours = subprocess.run([str(Path(sys.executable).with_name("pyhelm")), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


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
