"""Where pyhelm keeps what it can rebuild (compiled templates, helm-engine, the test
control plane): ``$XDG_CACHE_HOME/pyhelm``, else ``~/.cache/pyhelm``.

Only ``os`` is imported: the console script reads this before anything else is loaded.
"""

from __future__ import annotations

import os


def cache_dir(*parts: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pyhelm", *parts)
