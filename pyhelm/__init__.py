"""pyhelm: a Helm-compatible package manager for Kubernetes with Jinja2 charts.

The public API is re-exported here lazily so that ``import pyhelm`` stays fast and
never imports the Kubernetes client. See ``__all__`` for what is public.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PyhelmError": "pyhelm.errors",
    "ChartError": "pyhelm.errors",
    "ValuesError": "pyhelm.errors",
    "RenderError": "pyhelm.errors",
    "ReleaseError": "pyhelm.errors",
    "ReleaseNotFoundError": "pyhelm.errors",
    "ReleaseExistsError": "pyhelm.errors",
    "ReleaseInProgressError": "pyhelm.errors",
    "KubeError": "pyhelm.errors",
    "KubeNotFoundError": "pyhelm.errors",
    "KubeConflictError": "pyhelm.errors",
    "KubeForbiddenError": "pyhelm.errors",
    "KubeUnreachableError": "pyhelm.errors",
    "KubeInvalidError": "pyhelm.errors",
    "RepoError": "pyhelm.errors",
    "UsageError": "pyhelm.errors",
    "Chart": "pyhelm.chart.model",
    "Client": "pyhelm.client",
    "ChartMetadata": "pyhelm.chart.model",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pyhelm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
