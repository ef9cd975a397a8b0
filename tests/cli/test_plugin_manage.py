"""``pyhelm plugin install|uninstall|update|package|verify`` beside Helm 4.3's: each
scenario runs both tools, each with its own homes, and compares what they print (paths
of the homes written as HOME), their exit codes and what they leave on disk."""

from __future__ import annotations

import gzip
import http.server
import io
import os
import socket
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyhelm.errors import PluginError
from pyhelm.plugin import archive

from .plugin_fixtures import PYHELM, helm, legacy_plugin, run, v1_plugin, with_built_in, write

pytestmark = pytest.mark.helm

HOOKED = """name: hooked
version: 1.0.0
usage: a plugin with hooks
command: "$HELM_PLUGIN_DIR/run.sh"
hooks:
  install: "echo installed $HELM_PLUGIN_NAME from $(basename $HELM_PLUGIN_DIR)"
  delete: "echo deleted $HELM_PLUGIN_NAME"
"""


class Pair:
    """Helm and pyhelm, each with homes of its own under the test's directory, in the
    same working directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.homes = {"helm": root / "helm-home", "pyhelm": root / "pyhelm-home"}

    def run(self, *args: str, **env: str) -> dict[str, tuple[int, str, str]]:
        """Each tool's (exit code, stdout, stderr), its home written as HOME."""
        results = {}
        for name, tool in (("helm", helm()), ("pyhelm", PYHELM)):
            home = self.homes[name]
            done = run(tool, home, *(a.replace("{HOME}", str(home)) for a in args),
                       **{k: v.replace("{HOME}", str(home)) for k, v in env.items()})
            stdout = done.stdout
            if name == "helm" and args[:2] == ("plugin", "list"):
                stdout = with_built_in(stdout)
            results[name] = (done.returncode, *(text.replace(str(home), "HOME").replace(
                tool, "TOOL") for text in (stdout, done.stderr)))
        return results

    def same(self, *args: str, **env: str) -> tuple[int, str, str]:
        results = self.run(*args, **env)
        assert results["pyhelm"] == results["helm"]
        return results["helm"]

    def data_plugins(self, name: str) -> Path:
        return self.homes[name] / "helm-data" / "plugins"


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pair:
    monkeypatch.chdir(tmp_path)
    return Pair(tmp_path)


def hooked_plugin(root: Path) -> Path:
    directory = legacy_plugin(root / "hooked", HOOKED)
    write(directory, {"run.sh": "#!/bin/sh\necho run \"$@\"\n"}, executable=("run.sh",))
    return directory


def test_install_a_directory_links_it_and_runs_its_hook(pair: Pair) -> None:
    source = hooked_plugin(pair.root / "src")
    code, out, err = pair.same("plugin", "install", str(source))
    assert code == 0, err
    assert out == ("Installing plugin from local directory (development mode)\n"
                   "installed hooked from hooked\nInstalled plugin: hooked\n")
    for name in ("helm", "pyhelm"):
        link = pair.data_plugins(name) / "hooked"
        assert link.is_symlink() and link.resolve() == source
    assert "local dev" in pair.same("plugin", "list")[1]
    code, out, err = pair.same("plugin", "install", str(source))
    assert code == 1 and err == ('level=WARN msg="plugin already exists" '
                                 "path=HOME/helm-data/plugins/hooked error=<nil>\n"
                                 "Error: plugin already exists\n")
    code, out, err = pair.same("plugin", "uninstall", "hooked", "nope")
    assert (code, out, err) == (1, "deleted hooked\nUninstalled plugin: hooked\n",
                                "Error: plugin: nope not found\n")
    assert not (pair.data_plugins("pyhelm") / "hooked").exists() and source.exists()


def test_hook_arguments_expanded_as_helm_expands_them(pair: Pair) -> None:
    """A v1 plugin's hook arguments are not expanded; a legacy plugin's platformHooks
    are (Helm's expandHookArgs)."""
    v1_plugin(pair.root / "src" / "v1hook", "v1hook", runtime_config=(
        "  platformCommand:\n  - command: echo\n  platformHooks:\n    install:\n"
        "    - command: echo\n      args: [\"v1 $HELM_PLUGIN_NAME\"]\n"))
    legacy_plugin(pair.root / "src" / "oldhook", (
        "name: oldhook\nversion: 0.1.0\ncommand: echo\nplatformHooks:\n  install:\n"
        "  - command: echo\n    args: [\"legacy $HELM_PLUGIN_NAME\"]\n"))
    _, out, _ = pair.same("plugin", "install", str(pair.root / "src" / "v1hook"))
    assert "v1 $HELM_PLUGIN_NAME\n" in out
    _, out, _ = pair.same("plugin", "install", str(pair.root / "src" / "oldhook"))
    assert "legacy oldhook\n" in out


def test_a_failing_hook_fails_the_install(pair: Pair) -> None:
    legacy_plugin(pair.root / "src" / "badhook",
                  "name: badhook\ncommand: echo\nhooks:\n  install: 'echo no >&2; exit 3'\n")
    code, _out, err = pair.same("plugin", "install", str(pair.root / "src" / "badhook"))
    assert code == 1 and err == 'no\nError: plugin install hook for "badhook" exited with error\n'


@pytest.mark.parametrize(("args", "message"), [
    (("install",), '"TOOL plugin install" requires 1 argument\n\nUsage:  TOOL plugin '
                   "install [options] <path|url> [flags]"),
    (("install", "/no/such/plugin"),
     'cannot get information about plugin source "/no/such/plugin" (if it\'s a local '
     "directory, does it exist?), last error was: Cannot detect VCS"),
    (("uninstall",), "please provide plugin name to uninstall"),
    (("update",), "please provide plugin name to update"),
    (("rm", "nothing"), "plugin: nothing not found"),
    (("up", "nothing"), "plugin: nothing not found"),
])
def test_argument_errors_as_helm(pair: Pair, args: tuple[str, ...], message: str) -> None:
    results = pair.run("plugin", *args)
    for tool, (code, out, err) in results.items():
        assert (code, out) == (1, ""), tool
        expected = message.replace("TOOL", "helm" if tool == "helm" else "pyhelm")
        assert err == f"Error: {expected}\n", tool


def packaged(pair: Pair, name: str = "hooked") -> Path:
    """The hooked plugin packaged by Helm (unsigned) as NAME-1.0.0.tgz."""
    source = hooked_plugin(pair.root / "src")
    done = run(helm(), pair.root, "plugin", "package", str(source), "--sign=false", "-d",
               str(pair.root / "dist"))
    assert done.returncode == 0, done.stderr
    return pair.root / "dist" / f"{name}-1.0.0.tgz"


def test_install_a_tarball(pair: Pair) -> None:
    tarball = packaged(pair)
    code, out, err = pair.same("plugin", "install", str(tarball))
    assert (code, out, err) == (1, "Verifying plugin signature...\n",
                                "Error: plugin verification failed: no provenance file "
                                "(.prov) found\n")
    code, out, err = pair.same("plugin", "install", str(tarball), "--verify=false")
    assert code == 0, err
    assert out == ("WARNING: Skipping plugin signature verification\n"
                   "installed hooked from hooked\nInstalled plugin: hooked\n")
    for name in ("helm", "pyhelm"):
        plugins = pair.data_plugins(name)
        assert (plugins / "hooked" / "run.sh").stat().st_mode & 0o111
        assert (plugins / "hooked-1.0.0.tgz").read_bytes() == tarball.read_bytes()
    assert "unsigned" in pair.same("plugin", "list")[1]
    _, out, _ = pair.same("plugin", "uninstall", "hooked")
    assert not (pair.data_plugins("pyhelm") / "hooked-1.0.0.tgz").exists()


def test_a_provenance_file_without_a_keyring_is_refused_as_helm(pair: Pair) -> None:
    tarball = packaged(pair)
    Path(f"{tarball}.prov").write_text("-----BEGIN PGP SIGNED MESSAGE-----\n")
    code, _, err = pair.same("plugin", "install", str(tarball),
                             GNUPGHOME=str(pair.root / "no-gnupg"))
    assert code == 1
    assert err.startswith("Error: plugin verification failed: open ")


def hostile(path: Path, entries: list[tuple[str, bytes, bytes]]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(("entry", "kind", "message"), [
    ("evil/../../escaped", tarfile.REGTYPE, "path contains '..', which is illegal"),
    ("/tmp/escaped-absolute", tarfile.REGTYPE, "path is absolute, which is illegal"),
    ("evil/a:b", tarfile.REGTYPE, "path contains ':', which is illegal"),
    ("evil/link", tarfile.SYMTYPE, "unknown type: 110010 in evil/link"),
    ("evil/hard", tarfile.LNKTYPE, "unknown type: 110001 in evil/hard"),
])
def test_hostile_tarballs_refused_as_helm_refuses_them(pair: Pair, entry: str, kind: bytes,
                                                      message: str) -> None:
    tarball = hostile(pair.root / "evil-0.1.0.tgz", [
        ("evil/plugin.yaml", b"name: evil\nversion: 0.1.0\n", tarfile.REGTYPE),
        (entry, b"x", kind)])
    code, _out, err = pair.same("plugin", "install", str(tarball), "--verify=false")
    assert (code, err) == (1, f"Error: failed to extract archive: {message}\n")
    assert not (pair.root.parent / "escaped").exists()
    assert not Path("/tmp/escaped-absolute").exists()
    assert not (pair.data_plugins("pyhelm") / "evil").exists()


def test_unpacking_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tarball that inflates past the budget is refused while it is read."""
    monkeypatch.setattr(archive, "MAX_PLUGIN_BYTES", 64 * 1024)
    bomb = hostile(tmp_path / "bomb-0.1.0.tgz", [
        ("bomb/plugin.yaml", b"name: bomb\n", tarfile.REGTYPE),
        ("bomb/zeros", b"\0" * (1024 * 1024), tarfile.REGTYPE)])
    assert len(bomb.read_bytes()) < 4096
    with pytest.raises(PluginError, match="decompressed plugin is larger than the maximum"):
        archive.unpack(bomb.read_bytes(), tmp_path / "out", "bomb-0.1.0.tgz")
    assert not (tmp_path / "out" / "bomb" / "zeros").exists() or \
        (tmp_path / "out" / "bomb" / "zeros").stat().st_size == 0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """An http server of ``tmp_path/www``; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_install_from_an_http_url(pair: Pair, served: str) -> None:
    tarball = packaged(pair)
    (pair.root / "www" / tarball.name).write_bytes(tarball.read_bytes())
    url = f"{served}/{tarball.name}"
    code, out, err = pair.same("plugin", "install", url)
    assert (code, err) == (1, "Error: plugin verification failed: no provenance file "
                              "(.prov) found\n")
    code, out, err = pair.same("plugin", "install", url, "--verify=false")
    assert code == 0, err
    assert out.endswith("installed hooked from hooked\nInstalled plugin: hooked\n")
    assert pair.same("plugin", "list")[1].count("hooked") == 1
    code, _, err = pair.same("plugin", "install", f"{served}/missing-1.0.0.tgz",
                             "--verify=false")
    assert code == 1


def test_package_writes_helms_tar_stream(pair: Pair) -> None:
    source = hooked_plugin(pair.root / "src")
    write(source, {"bin/tool": "#!/bin/sh\n", "docs/a/b/c.txt": "text\n"},
          executable=("bin/tool",))
    (source / "link").symlink_to("run.sh")
    code, out, err = pair.same("plugin", "package", str(source), "--sign=false", "-d",
                               "{HOME}/out")
    assert code == 0, err
    assert out == ("WARNING: Skipping plugin signing. This is not recommended for plugins "
                   "intended for distribution.\n"
                   "Successfully packaged plugin and saved it to: HOME/out/hooked-1.0.0.tgz\n")
    theirs, mine = (gzip.decompress((pair.homes[n] / "out" / "hooked-1.0.0.tgz").read_bytes())
                    for n in ("helm", "pyhelm"))
    assert mine == theirs
    with tarfile.open(fileobj=io.BytesIO(mine)) as tar:
        assert tar.getnames()[:3] == ["hooked", "hooked/bin", "hooked/bin/tool"]


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("none", ("plugin", "package", "missing"), "stat missing: no such file or directory"),
    ("file", ("plugin", "package", "file.tgz"),
     "plugin package only supports directories, not tarballs"),
    ("bad", ("plugin", "package", "bad", "--sign=false"),
     'invalid plugin directory: failed to load plugin "bad": invalid plugin name "b a d": '
     "must contain only a-z, A-Z, 0-9, _ and -"),
    ("none", ("plugin", "verify", "x.tgz"), "stat x.tgz: no such file or directory"),
    ("bad", ("plugin", "verify", "bad"),
     "directory verification not supported - only plugin tarballs can be verified"),
    ("file", ("plugin", "verify", "bad/plugin.yaml"),
     "plugin file must be a gzipped tarball (.tar.gz or .tgz)"),
    ("file", ("plugin", "verify", "file.tgz"),
     "could not find provenance file file.tgz.prov: stat file.tgz.prov: no such file or "
     "directory"),
])
def test_package_and_verify_errors_as_helm(pair: Pair, setup: str, args: tuple[str, ...],
                                           message: str) -> None:
    legacy_plugin(pair.root / "bad", "name: b a d\n")
    (pair.root / "file.tgz").write_bytes(b"")
    code, out, err = pair.same(*args)
    assert (code, out, err) == (1, "", f"Error: {message}\n")


def test_what_pyhelm_cannot_do_yet_is_one_line(pair: Pair) -> None:
    source = hooked_plugin(pair.root / "src")
    (pair.root / "file.tgz").write_bytes(b"")
    (pair.root / "file.tgz.prov").write_bytes(b"")
    for args in (("plugin", "package", str(source)), ("plugin", "verify", "file.tgz")):
        code, _, err = pair.same(*args, GNUPGHOME=str(pair.root / "no-gnupg"))
        assert code == 1 and "no-gnupg/pubring.gpg: no such file or directory" in err
    for args, message in [
        (("plugin", "install", "oci://example.com/plugins/x:1.0.0"), "installing plugins "
         "from OCI registries is not supported by pyhelm yet"),
    ]:
        done = run(PYHELM, pair.homes["pyhelm"], *args)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: {message}\n")


# ------------------------------------------------------------------ git
def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """``git daemon`` serving ``tmp_path/git``; yields that root and its git:// URL."""
    root = tmp_path / "git"
    root.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all",
                               f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}",
                               str(root)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                threading.Event().wait(0.05)
        yield root, f"git://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_install_from_git_with_a_version_constraint_then_update(
        pair: Pair, git_daemon: tuple[Path, str]) -> None:
    root, base = git_daemon
    repository = legacy_plugin(root / "gitplug", HOOKED.replace("hooked", "gitplug"))
    git(repository, "init", "-q", "-b", "main")
    git(repository, "add", ".")
    git(repository, "commit", "-qm", "first")
    git(repository, "tag", "v0.1.0")
    git(repository, "tag", "v0.2.0")
    (repository / "plugin.yaml").write_text(
        (repository / "plugin.yaml").read_text().replace("1.0.0", "1.1.0"))
    git(repository, "commit", "-qam", "second")
    git(repository, "tag", "v1.1.0")
    url = f"{base}/gitplug"
    code, out, err = pair.same("plugin", "install", url, "--version", "<1.0.0",
                               HELM_PLUGINS="{HOME}/plugins")
    assert (code, err) == (1, "Error: plugin source does not support verification. Use "
                              "--verify=false to skip verification\n")
    code, out, err = pair.same("plugin", "install", url, "--version", "<1.0.0",
                               "--verify=false", HELM_PLUGINS="{HOME}/plugins")
    assert (code, out) == (0, "WARNING: Skipping plugin signature verification\n"
                              "installed gitplug from gitplug\nInstalled plugin: gitplug\n"), err
    _, listed, _ = pair.same("plugin", "list", HELM_PLUGINS="{HOME}/plugins")
    assert "1.0.0" in listed
    code, out, err = pair.same("plugin", "install", url, "--version", "9.x",
                               "--verify=false", HELM_PLUGINS="{HOME}/other")
    assert code == 1 and "requested version \"9.x\" does not exist" in err
    # a second install reuses Helm's cached clone as it was left (the tag checked out)
    code, out, err = pair.same("plugin", "install", url, "--verify=false",
                               HELM_PLUGINS="{HOME}/again")
    assert code == 0, err
    assert "1.0.0" in pair.same("plugin", "list", HELM_PLUGINS="{HOME}/again")[1]
    # with a cache of its own: the default branch; then updated after a commit there
    latest = {"HELM_PLUGINS": "{HOME}/latest", "HELM_CACHE_HOME": "{HOME}/cache2"}
    code, out, err = pair.same("plugin", "install", url, "--verify=false", **latest)
    assert code == 0, err
    assert "1.1.0" in pair.same("plugin", "list", **latest)[1]
    (repository / "plugin.yaml").write_text(
        (repository / "plugin.yaml").read_text().replace("1.1.0", "1.2.0").replace(
            "hooks:\n", "hooks:\n  update: \"echo updated $HELM_PLUGIN_NAME\"\n"))
    git(repository, "commit", "-qam", "third")
    code, out, err = pair.same("plugin", "update", "gitplug", **latest)
    assert (code, out) == (0, "updated gitplug\nUpdated plugin: gitplug\n"), err
    assert "1.2.0" in pair.same("plugin", "list", **latest)[1]
    code, out, err = pair.same("plugin", "update", "gitplug", HELM_PLUGINS="{HOME}/plugins")
    assert code == 0, err  # a tag checked out: fetched, nothing pulled
    assert "1.0.0" in pair.same("plugin", "list", HELM_PLUGINS="{HOME}/plugins")[1]
    for home in pair.homes.values():  # a change to the checkout: not updated
        with (home / "latest" / "gitplug" / "plugin.yaml").open("a") as changed:
            changed.write("# changed here\n")
    code, out, err = pair.same("plugin", "update", "gitplug", **latest)
    assert (code, err) == (1, "Error: failed to update plugin gitplug, got error (plugin "
                              "repo was modified)\n")
