"""Registry credentials, stored as Docker stores them.

``$XDG_CONFIG_HOME/pyhelm/registry/config.json`` (``PYHELM_REGISTRY_CONFIG`` overrides)
holds ``{"auths": {HOST: {"auth": base64("user:password")}}}``, written atomically with
mode 0600.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from pyhelm.errors import RepoError


def config_path() -> Path:
    override = os.environ.get("PYHELM_REGISTRY_CONFIG")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pyhelm" / "registry" / "config.json"


def _load() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {"auths": {}}
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise RepoError(f"{path}: not valid JSON: {exc}") from exc
    data.setdefault("auths", {})
    return data if isinstance(data, dict) else {"auths": {}}


def _save(data: dict[str, Any]) -> None:
    from pyhelm.repo.client import atomic_write

    atomic_write(config_path(), json.dumps(data, indent=2).encode(), mode=0o600)


def credentials_for(host: str) -> tuple[str, str] | None:
    entry = _load()["auths"].get(host)
    if not entry or not entry.get("auth"):
        return None
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return user, password


def store(host: str, username: str, password: str) -> None:
    data = _load()
    data["auths"][host] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    _save(data)


def forget(host: str) -> bool:
    data = _load()
    if host not in data["auths"]:
        return False
    del data["auths"][host]
    _save(data)
    return True
