"""Registry credentials, stored as Docker stores them.

``RepoPaths.registry_config`` (default ``$XDG_CONFIG_HOME/helm/registry/config.json``, Helm's own)
holds ``{"auths": {HOST: {"auth": base64("user:password")}}}``, written atomically with
mode 0600.
"""

from __future__ import annotations

import base64
import json
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


def credentials_for(host: str, paths: RepoPaths | None = None) -> tuple[str, str] | None:
    entry = _load(paths)["auths"].get(host)
    if not entry or not entry.get("auth"):
        return None
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return user, password


def store(host: str, username: str, password: str, paths: RepoPaths | None = None) -> None:
    data = _load(paths)
    data["auths"][host] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    _save(data, paths)


def forget(host: str, paths: RepoPaths | None = None) -> bool:
    data = _load(paths)
    if host not in data["auths"]:
        return False
    del data["auths"][host]
    _save(data, paths)
    return True
