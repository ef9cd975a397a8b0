"""Registry credentials, stored as Docker stores them.

``RepoPaths.registry_config`` (default ``$XDG_CONFIG_HOME/helm/registry/config.json``,
Helm's own) holds ``{"auths": {HOST: {"auth": base64("user:password")}}}``, written
atomically with mode 0600. Where the file names a credential helper (``credHelpers`` for
a host, or ``credsStore`` for all), the credentials live in that helper instead
(``docker-credential-NAME get|store|erase``, Docker's protocol), as Docker and Helm do.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

from pyhelm.errors import RepoError
from pyhelm.settings import RepoPaths


def config_path(paths: RepoPaths | None = None) -> Path:
    from pyhelm.repo.client import resolve_paths

    return resolve_paths(paths).registry_config


def _load(paths: RepoPaths | None) -> dict[str, Any]:
    path = config_path(paths)
    if not path.exists():
        return {"auths": {}}
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise RepoError(f"{path}: not valid JSON: {exc}") from exc
    data.setdefault("auths", {})
    return data if isinstance(data, dict) else {"auths": {}}


def _save(data: dict[str, Any], paths: RepoPaths | None) -> None:
    from pyhelm.repo.client import atomic_write

    atomic_write(config_path(paths), json.dumps(data, indent=2).encode(), mode=0o600)


def _helper(data: dict[str, Any], host: str) -> str | None:
    """The credential helper Docker would use for ``host``: ``credHelpers[host]``, else
    ``credsStore``, else none (the ``auths`` entries of the file)."""
    helpers = data.get("credHelpers")
    if isinstance(helpers, dict) and helpers.get(host):
        return str(helpers[host])
    store_name = data.get("credsStore")
    return str(store_name) if store_name else None


def _call_helper(name: str, action: str, payload: str) -> subprocess.CompletedProcess[str]:
    """Run ``docker-credential-NAME ACTION`` (Docker's credential helper protocol)."""
    binary = f"docker-credential-{name}"
    try:
        return subprocess.run([binary, action], input=payload, capture_output=True, text=True,
                              timeout=60, check=False)
    except OSError as exc:
        raise RepoError(f"registry credentials: cannot run {binary}: {exc.strerror}") from exc


def credentials_for(host: str, paths: RepoPaths | None = None) -> tuple[str, str] | None:
    data = _load(paths)
    helper = _helper(data, host)
    if helper:
        done = _call_helper(helper, "get", host)
        if done.returncode != 0:
            if "credentials not found" in done.stdout + done.stderr:
                return None
            raise RepoError(f"registry credentials for {host}: docker-credential-{helper} "
                            f"get failed: {(done.stderr or done.stdout).strip()}")
        reply = json.loads(done.stdout or "{}")
        return str(reply.get("Username", "")), str(reply.get("Secret", ""))
    entry = data["auths"].get(host)
    if not entry or not entry.get("auth"):
        return None
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return user, password


def store(host: str, username: str, password: str, paths: RepoPaths | None = None) -> None:
    data = _load(paths)
    helper = _helper(data, host)
    if helper:
        payload = json.dumps({"ServerURL": host, "Username": username, "Secret": password})
        done = _call_helper(helper, "store", payload)
        if done.returncode != 0:
            raise RepoError(f"registry credentials for {host}: docker-credential-{helper} "
                            f"store failed: {(done.stderr or done.stdout).strip()}")
        data["auths"][host] = {}  # Docker's marker: the helper holds them
    else:
        data["auths"][host] = {
            "auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    _save(data, paths)


def forget(host: str, paths: RepoPaths | None = None) -> bool:
    data = _load(paths)
    helper = _helper(data, host)
    if helper:
        _call_helper(helper, "erase", host)
    if host not in data["auths"]:
        return helper is not None
    del data["auths"][host]
    _save(data, paths)
    return True
