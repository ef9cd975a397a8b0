"""Finding and starting the helm-engine process (kept free of heavy imports).

``find_binary`` looks, in order, at ``$PYHELM_HELM_ENGINE``, the optional
``pyhelm-helm-engine`` wheel, and the build cache of ``python -m
pyhelm.testing.engine_build``. ``prestart`` lets the CLI start the process before it
imports the rest of a rendering command, so the engine's start-up (about 20 ms of Go
runtime and package initialisation) overlaps Python's; the first ``start`` hands that
process over, later ones start a new one.
"""

from __future__ import annotations

import atexit
import os
import subprocess

from pyhelm.cache_dir import cache_dir
from pyhelm.errors import ChartError

ENGINE_ENV = "PYHELM_HELM_ENGINE"
BINARY_NAME = "helm-engine.exe" if os.name == "nt" else "helm-engine"
HOW_TO_GET = ("it needs pyhelm's Helm engine: pip install 'pyhelm-k8s[helm-charts]', or "
              "build it from source with `python -m pyhelm.testing.engine_build` (needs Go), "
              f"or point ${ENGINE_ENV} at a helm-engine binary")

_prestarted: list[subprocess.Popen[bytes]] = []  # at most one, unused so far


def engine_cache_dir() -> str:
    return cache_dir("helm-engine", "bin")


def find_binary() -> str:
    """The helm-engine binary, or a ChartError saying how to get one."""
    override = os.environ.get(ENGINE_ENV)
    if override:
        if not os.path.isfile(override):
            raise ChartError(f"${ENGINE_ENV} names {override}, which does not exist")
        return override
    try:
        from pyhelm_helm_engine import binary_path  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        return str(binary_path())
    cached = os.path.join(engine_cache_dir(), BINARY_NAME)
    if os.path.isfile(cached):
        return cached
    raise ChartError(f"this is a Helm (Go template) chart: {HOW_TO_GET}")


def _spawn(binary: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def prestart() -> None:
    """Start an engine process now if one is installed (its request comes later)."""
    if _prestarted:
        return
    try:
        process = _spawn(find_binary())
    except (ChartError, OSError):
        return  # the command reports it if it turns out to need the engine
    _prestarted.append(process)
    atexit.register(_discard)


def _discard() -> None:
    for process in _prestarted:
        process.kill()
        process.communicate()
    _prestarted.clear()


def start() -> subprocess.Popen[bytes]:
    """A running engine process waiting for its request."""
    if _prestarted:
        return _prestarted.pop()
    return _spawn(find_binary())
