"""Plugins kept in git (``plugin install https://github.com/databus23/helm-diff``), as
Helm's VCS installer handles them through Masterminds/vcs: the repository is cloned into
Helm's cache (``$HELM_CACHE_HOME/plugins/KEY``, or updated there when it already is),
``--version`` picks a reference or the highest tag a SemVer constraint allows, and the
checkout is copied into the plugins directory. Only git is supported (Helm also knows
hg, bzr and svn); git runs as a subprocess.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from pyhelm.chart import semver
from pyhelm.errors import PluginError

CANNOT_DETECT = "Cannot detect VCS"
_SCP = re.compile(r"^([a-zA-Z0-9_]+)@([a-zA-Z0-9._-]+):(.*)$")
_GITHUB = re.compile(r"^(github\.com[/|:][A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)(/[A-Za-z0-9_.\-]+)*$")
_SUFFIX = re.compile(r"\.(git|hg|svn|bzr)$")


def _parts(url: str) -> tuple[str, str, str, str]:
    """Scheme, user, host and path of a URL or an scp-like address."""
    scp = _SCP.match(url)
    if scp:
        return "ssh", scp.group(1), scp.group(2), "/" + scp.group(3)
    parts = urlsplit(url)
    return parts.scheme, parts.username or "", parts.netloc.rpartition("@")[2], parts.path


def is_git(url: str) -> bool:
    """Masterminds' detection from the address alone, for git (it would then ask the
    server for a ``go-import`` page, which plugin hosts do not serve)."""
    scheme, user, host, path = _parts(url)
    if not host:
        return False
    if scheme in ("git", "git+ssh"):
        return True
    if host == "github.com":
        return bool(_GITHUB.match(host + path))
    suffix = _SUFFIX.search(host + path)
    if suffix:
        return suffix.group(1) == "git"
    return user == "git"


def cache_key(url: str) -> str:
    """Helm's cache.Key: a file-system safe name for a repository address."""
    scheme, user, host, path = _parts(url)
    key = (f"{scheme}-" if scheme else "") + (f"{user}-" if user else "") + host
    return (key + path.replace("/", "-")).replace(":", "-")


def _git(directory: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["git", *(("-C", str(directory)) if directory else ()), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise PluginError(f"git: {exc.strerror}") from None


def sync(remote: str, local: Path) -> None:
    """Clone ``remote`` into ``local``, or bring the clone there up to date."""
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        if _git(None, "clone", "--recursive", remote, str(local)).returncode != 0:
            raise PluginError("Unable to get repository")
        return
    update(local)


def update(local: Path) -> None:
    """Masterminds' GitRepo.Update: fetch tags, then pull unless on a detached head."""
    if _git(local, "fetch", "--tags", "origin").returncode != 0:
        raise PluginError("Unable to update repository")
    if _git(local, "symbolic-ref", "-q", "HEAD").returncode != 0:
        return  # a detached head (a tag or a commit was checked out): nothing to pull
    if _git(local, "pull").returncode != 0:
        raise PluginError("Unable to update repository")


def is_repository(directory: Path) -> bool:
    return (directory / ".git").exists()


def is_dirty(local: Path) -> bool:
    return bool(_git(local, "diff", "--shortstat").stdout.strip())


def remote_of(local: Path) -> str:
    return _git(local, "config", "--get", "remote.origin.url").stdout.strip()


def solve_version(local: Path, remote: str, version: str) -> str:
    """The reference to check out for ``--version`` (empty: leave the default branch)."""
    if not version:
        return ""
    if _git(local, "rev-parse", "--verify", "--quiet", version).returncode == 0:
        return version
    try:
        constraint = semver.Constraint.parse(version)
    except semver.SemverError as exc:
        raise PluginError(str(exc)) from None
    versions = []
    for tag in _git(local, "tag", "--list").stdout.split():
        try:
            versions.append((semver.Version.parse(tag), tag))
        except semver.SemverError:
            continue
    for parsed, tag in sorted(versions, key=lambda pair: pair[0], reverse=True):
        if constraint.allows(parsed):
            return tag
    raise PluginError(f'requested version "{version}" does not exist for plugin "{remote}"')


def checkout(local: Path, reference: str) -> None:
    if _git(local, "checkout", reference).returncode != 0:
        raise PluginError(f"Unable to update checked out version: {reference}")
