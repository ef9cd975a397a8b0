"""Provenance (issue 25): ``package --sign``, ``verify`` and ``--verify`` on ``pull``,
``template``, ``show`` and ``dependency build|update``, run beside Helm 4.3.1 on the same
files, with keys made by GnuPG: each verifies what the other signs, and both refuse the
same tampered archive, unknown key, expired key, revoked key and digest mismatch with the
same message and exit code."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.testing import peers
from tests.signing_keys import USER_IDS, Keys, make_keys

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))
DEMO = ROOT / "charts" / "demo"


def run(tool: str, *args: str | Path, env: dict[str, str],
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    binary = str(peers.helm_binary()) if tool == "helm" else PYHELM
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True,
                          env=env, input=stdin, check=False, timeout=120)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("provenance")


@pytest.fixture(scope="module")
def keys(home: Path) -> Keys:
    return make_keys(home / "keys")


@pytest.fixture(scope="module")
def env(home: Path, keys: Keys) -> dict[str, str]:
    return peers.helm_env(home, PYHELM_COMMAND_SERVER="0", GNUPGHOME=str(keys.home),
                          XDG_CONFIG_HOME=str(home / "xdg-config"),
                          XDG_CACHE_HOME=str(home / "xdg-cache"))


def sign(tool: str, signer: str, directory: Path, keys: Keys, env: dict[str, str]
         ) -> Path:
    """``TOOL package charts/demo --sign --key USER-ID --keyring secring.gpg``."""
    extra = ["--passphrase-file", str(keys.passphrase_file)] if signer == "pass" else []
    result = run(tool, "package", DEMO, "-d", directory, "--sign", "--key",
                 USER_IDS[signer], "--keyring", keys.secring, *extra, env=env)
    assert result.returncode == 0, result.stderr
    package = directory / "demo-0.1.0.tgz"
    assert Path(f"{package}.prov").is_file()
    return package


@pytest.fixture(scope="module")
def signed(home: Path, keys: Keys, env: dict[str, str]) -> dict[tuple[str, str], Path]:
    """charts/demo signed by each tool with each key (the "soon" key first, while valid;
    pyhelm cannot sign with the key that had already expired)."""
    out = {}
    for signer in ("soon", "ed", "rsa", "pass", "other", "revoked", "expired"):
        for tool in ("helm", "pyhelm"):
            if (tool, signer) == ("pyhelm", "expired"):
                continue
            out[tool, signer] = sign(tool, signer, home / "signed" / tool / signer, keys,
                                     env)
    return out


def verify_both(package: Path, keyring: Path, env: dict[str, str]
                ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    return (run("helm", "verify", package, "--keyring", keyring, env=env),
            run("pyhelm", "verify", package, "--keyring", keyring, env=env))


@pytest.mark.parametrize("signer", ["ed", "rsa", "pass"])
@pytest.mark.parametrize("tool", ["helm", "pyhelm"])
def test_each_verifies_what_either_signs(signed: dict[tuple[str, str], Path], keys: Keys,
                                         env: dict[str, str], tool: str, signer: str) -> None:
    helm, mine = verify_both(signed[tool, signer], keys.pubring, env)
    assert helm.returncode == 0, helm.stderr
    assert (mine.returncode, mine.stdout, mine.stderr) == (0, helm.stdout, "")
    assert f"Signed by: {USER_IDS[signer]}" in mine.stdout


def test_the_prov_file_is_helms_format(signed: dict[tuple[str, str], Path]) -> None:
    helm = Path(f"{signed['helm', 'ed']}.prov").read_text()
    mine = Path(f"{signed['pyhelm', 'ed']}.prov").read_text()
    for text in (helm, mine):
        assert text.startswith("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n")
    # the same metadata document (the archives themselves differ: each tool's tar)
    assert mine.split("\nfiles:\n")[0] == helm.split("\nfiles:\n")[0]
    assert "\n...\nfiles:\n  demo-0.1.0.tgz: sha256:" in mine


def _tampered_archive(package: Path, target: Path) -> Path:
    """The same file name and .prov, one file inside changed (a valid archive)."""
    target.mkdir(parents=True)
    with tarfile.open(package) as source:
        members = [(m, source.extractfile(m).read() if m.isfile() else None)  # type: ignore[union-attr]
                   for m in source.getmembers()]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member, data in members:
            if member.name.endswith("values.yaml") and data is not None:
                data += b"\nevil: true\n"
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    copy = target / package.name
    copy.write_bytes(gzip.compress(buffer.getvalue()))
    shutil.copy(f"{package}.prov", f"{copy}.prov")
    return copy


def _case(name: str, signed: dict[tuple[str, str], Path], tool: str, directory: Path
          ) -> Path:
    if name == "tampered archive":
        return _tampered_archive(signed[tool, "ed"], directory)
    if name == "digest mismatch":  # a good signature over another archive's digest
        directory.mkdir(parents=True)
        copy = directory / "demo-0.1.0.tgz"
        copy.write_bytes(_tampered_archive(signed[tool, "ed"], directory / "t").read_bytes())
        text = Path(f"{signed[tool, 'rsa']}.prov").read_text()
        Path(f"{copy}.prov").write_text(text)
        return copy
    if name == "tampered provenance":  # the signed text edited: the signature breaks
        directory.mkdir(parents=True)
        copy = directory / "demo-0.1.0.tgz"
        shutil.copy(signed[tool, "ed"], copy)
        text = Path(f"{signed[tool, 'ed']}.prov").read_text()
        Path(f"{copy}.prov").write_text(text.replace("name: demo", "name: demo2"))
        return copy
    signer = {"unknown key": "other", "revoked key": "revoked", "expired key": "soon",
              "key expired before signing": "expired"}[name]
    return signed[tool, signer]


REFUSALS = ["tampered archive", "digest mismatch", "tampered provenance", "unknown key",
            "revoked key", "expired key", "key expired before signing"]


@pytest.mark.parametrize("case", REFUSALS)
@pytest.mark.parametrize("tool", ["helm", "pyhelm"])
def test_both_refuse(signed: dict[tuple[str, str], Path], keys: Keys, env: dict[str, str],
                     home: Path, tool: str, case: str) -> None:
    if (tool, case) == ("pyhelm", "key expired before signing"):
        pytest.skip("pyhelm does not sign with an expired key (tested below)")
    keys.wait_for_soon_to_expire()
    package = _case(case, signed, tool, home / "cases" / tool / case.replace(" ", "-"))
    helm, mine = verify_both(package, keys.pubring, env)
    assert helm.returncode == 1 and helm.stderr.startswith("Error: "), helm
    assert (mine.returncode, mine.stdout) == (1, "")
    if case == "tampered provenance":  # the verifiers' own words after Helm's prefix
        assert mine.stderr.startswith("Error: openpgp: invalid signature: "), mine.stderr
    else:
        assert mine.stderr == helm.stderr


def test_pyhelm_does_not_sign_with_an_expired_key(home: Path, keys: Keys,
                                                  env: dict[str, str]) -> None:
    result = run("pyhelm", "package", DEMO, "-d", home / "expired-sign", "--sign", "--key",
                 USER_IDS["expired"], "--keyring", keys.secring, env=env)
    assert result.returncode == 1
    assert "cannot sign now (expired or revoked)" in result.stderr


@pytest.mark.parametrize("args", [
    ["--key", "Nobody"],  # no such key
    ["--key", "Signer"],  # several keys match
    ["--key", "charts@example.com", "--public"],  # a public keyring has no secret key
    ["--key", USER_IDS["pass"], "--wrong-passphrase"],
    ["--key", USER_IDS["pass"], "--passphrase-file", "/nonexistent/passphrase"],
    [],  # --sign without --key
])
def test_signing_errors_are_helms(home: Path, keys: Keys, env: dict[str, str],
                                  args: list[str], tmp_path: Path) -> None:
    keyring = keys.pubring if "--public" in args else keys.secring
    args = [a for a in args if a != "--public"]
    if "--wrong-passphrase" in args:
        wrong = tmp_path / "wrong"
        wrong.write_text("nope\n")
        args = [a for a in args if a != "--wrong-passphrase"] + ["--passphrase-file",
                                                                   str(wrong)]
    results = {tool: run(tool, "package", DEMO, "-d", tmp_path / tool, "--sign",
                         "--keyring", keyring, *args, env=env)
               for tool in ("helm", "pyhelm")}
    helm, mine = results["helm"], results["pyhelm"]
    assert helm.returncode == 1
    assert (mine.returncode, mine.stderr) == (helm.returncode, helm.stderr)


def test_the_passphrase_from_stdin(home: Path, keys: Keys, env: dict[str, str],
                                   tmp_path: Path) -> None:
    result = run("pyhelm", "package", DEMO, "-d", tmp_path, "--sign", "--key",
                 USER_IDS["pass"], "--keyring", keys.secring, "--passphrase-file", "-",
                 env=env, stdin="correct horse\n")
    assert result.returncode == 0, result.stderr
    helm = run("helm", "verify", tmp_path / "demo-0.1.0.tgz", "--keyring", keys.pubring,
               env=env)
    assert helm.returncode == 0, helm.stderr


@pytest.mark.parametrize("what", ["directory", "not a tgz", "no prov", "no keyring",
                                  "no such chart"])
def test_verify_usage_errors_are_helms(signed: dict[tuple[str, str], Path], keys: Keys,
                                       env: dict[str, str], tmp_path: Path,
                                       what: str) -> None:
    keyring = keys.pubring
    if what == "directory":
        target = DEMO
    elif what == "not a tgz":
        target = tmp_path / "demo.tar"
        target.write_bytes(signed["helm", "ed"].read_bytes())
    elif what == "no prov":
        target = tmp_path / "demo-0.1.0.tgz"
        shutil.copy(signed["helm", "ed"], target)
    elif what == "no keyring":
        target, keyring = signed["helm", "ed"], tmp_path / "missing.gpg"
    else:
        target = tmp_path / "nothing-0.1.0.tgz"
    helm, mine = verify_both(target, keyring, env)
    assert helm.returncode == 1
    assert (mine.returncode, mine.stdout, mine.stderr) == (1, "", helm.stderr)


def test_the_default_keyring_is_helms(signed: dict[tuple[str, str], Path], keys: Keys,
                                      env: dict[str, str], tmp_path: Path) -> None:
    """No --keyring: $GNUPGHOME/pubring.gpg when it exists, else GnuPG 2.1's keybox."""
    gnupg = tmp_path / "gnupg"
    shutil.copytree(keys.home, gnupg, ignore=shutil.ignore_patterns("S.*"))
    here = {**env, "GNUPGHOME": str(gnupg)}
    for tool in ("helm", "pyhelm"):  # the keybox, which holds "other" too
        result = run(tool, "verify", signed["helm", "other"], env=here)
        assert result.returncode == 0, (tool, result.stderr)
    shutil.copy(keys.pubring, gnupg / "pubring.gpg")  # the legacy keyring wins
    helm = run("helm", "verify", signed["helm", "other"], env=here)
    mine = run("pyhelm", "verify", signed["helm", "other"], env=here)
    assert helm.returncode == 1
    assert (mine.returncode, mine.stderr) == (1, helm.stderr)


@pytest.fixture(scope="module")
def helm_chart_signed(home: Path, keys: Keys, env: dict[str, str]) -> Path:
    """A Go-template chart (``helm create``) signed by Helm."""
    created = run("helm", "create", home / "hello", env=env)
    assert created.returncode == 0, created.stderr
    out = home / "hello-signed"
    result = run("helm", "package", home / "hello", "-d", out, "--sign", "--key",
                 USER_IDS["ed"], "--keyring", keys.secring, env=env)
    assert result.returncode == 0, result.stderr
    return out / "hello-0.1.0.tgz"


@pytest.mark.parametrize("verb", [["template", "web"], ["show", "chart"],
                                  ["show", "values"], ["show", "all"]])
def test_local_archives_are_verified_before_use(helm_chart_signed: Path,
                                                keys: Keys, env: dict[str, str],
                                                home: Path, verb: list[str]) -> None:
    good = helm_chart_signed
    bad = _tampered_archive(good, home / "local" / "-".join(verb))
    for package, code in ((good, 0), (bad, 1)):
        helm = run("helm", *verb, package, "--verify", "--keyring", keys.pubring, env=env)
        mine = run("pyhelm", *verb, package, "--verify", "--keyring", keys.pubring, env=env)
        assert helm.returncode == code, helm.stderr
        assert mine.returncode == code, mine.stderr
        if code == 1:
            assert (mine.stdout, mine.stderr) == ("", helm.stderr)
        elif verb[0] == "show":
            assert mine.stdout == helm.stdout
        else:
            assert mine.stdout == helm.stdout


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_repository(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A static chart repository on 127.0.0.1 (index.yaml, packages, .prov files)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _publish(package: Path, root: Path, url: str, env: dict[str, str]) -> None:
    shutil.copy(package, root / package.name)
    shutil.copy(f"{package}.prov", root / f"{package.name}.prov")
    result = run("helm", "repo", "index", root, "--url", url, env=env)
    assert result.returncode == 0, result.stderr


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if p.is_file()) if directory.exists() else []


@pytest.mark.parametrize("case", ["good", "tampered archive", "unknown key", "no prov"])
def test_pull_verify_from_a_repository(signed: dict[tuple[str, str], Path], keys: Keys,
                                       env: dict[str, str], tmp_path: Path,
                                       http_repository: tuple[Path, str], case: str) -> None:
    root, url = http_repository
    package = signed["pyhelm", "ed"] if case in ("good", "no prov") else \
        _case(case, signed, "pyhelm", tmp_path / "case")
    _publish(package, root, url, env)
    if case == "no prov":
        (root / "demo-0.1.0.tgz.prov").unlink()
    outputs = {}
    for tool in ("helm", "pyhelm"):
        dest = tmp_path / f"out-{tool}"
        dest.mkdir()
        outputs[tool] = run(tool, "pull", "demo", "--repo", url, "--verify", "--keyring",
                            keys.pubring, "-d", dest, env=env)
    helm, mine = outputs["helm"], outputs["pyhelm"]
    if case == "good":
        assert helm.returncode == 0, helm.stderr
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout.startswith(helm.stdout)  # then pyhelm's "Pulled: PATH"
        assert _files(tmp_path / "out-pyhelm") == ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"]
        return
    assert helm.returncode == 1
    assert mine.returncode == 1
    if case == "no prov":
        assert helm.stderr.startswith('Error: failed to fetch provenance "')
        assert mine.stderr == helm.stderr
    else:
        assert mine.stderr == helm.stderr
    # Helm leaves the refused archive behind; pyhelm writes nothing
    assert _files(tmp_path / "out-pyhelm") == []


def test_pull_prov_fetches_without_verifying(signed: dict[tuple[str, str], Path],
                                            env: dict[str, str], tmp_path: Path,
                                            http_repository: tuple[Path, str]) -> None:
    root, url = http_repository
    _publish(signed["helm", "other"], root, url, env)
    for tool in ("helm", "pyhelm"):
        dest = tmp_path / tool
        dest.mkdir()
        result = run(tool, "pull", "demo", "--repo", url, "--prov", "-d", dest, env=env)
        assert result.returncode == 0, result.stderr
        assert _files(dest) == ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"]


def _parent_chart(directory: Path, url: str) -> Path:
    chart = directory / "parent"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
        f"  - name: demo\n    version: 0.1.0\n    repository: {url}\n")
    return chart


@pytest.mark.parametrize("verb", ["update", "build"])
@pytest.mark.parametrize("case", ["good", "tampered archive"])
def test_dependency_verify(signed: dict[tuple[str, str], Path], keys: Keys,
                           env: dict[str, str], tmp_path: Path,
                           http_repository: tuple[Path, str], verb: str, case: str) -> None:
    root, url = http_repository
    package = signed["helm", "ed"] if case == "good" else \
        _case(case, signed, "helm", tmp_path / "case")
    _publish(package, root, url, env)
    added = run("helm", "repo", "add", "signed", url, "--force-update", env=env)
    assert added.returncode == 0, added.stderr  # both read Helm's repositories.yaml
    results = {}
    for tool in ("helm", "pyhelm"):
        chart = _parent_chart(tmp_path / tool, url)
        if verb == "build":  # a lock to build from, made without verification
            locked = run(tool, "dependency", "update", chart, env=env)
            assert locked.returncode == 0, locked.stderr
            shutil.rmtree(chart / "charts")
        results[tool] = (run(tool, "dependency", verb, chart, "--verify", "--keyring",
                             keys.pubring, env=env), chart)
    (helm, _), (mine, chart) = results["helm"], results["pyhelm"]
    if case == "good":
        assert helm.returncode == 0, helm.stderr
        assert mine.returncode == 0, mine.stderr
        assert (chart / "charts" / "demo-0.1.0.tgz").is_file()
        return
    assert helm.returncode == 1 and "sha256 sum does not match" in helm.stderr, helm.stderr
    assert mine.returncode == 1
    assert mine.stderr.strip().splitlines()[-1] == helm.stderr.strip().splitlines()[-1]
    assert not (chart / "charts" / "demo-0.1.0.tgz").exists()
