"""Building (once per machine) SeaweedFS's ``weed``, the S3-compatible server of the tests,
from the wrapper module ``tools/seaweedfs`` (see ``go_build.WrappedModule``; ``tools.go``
imports the ``weed`` command). A cold build takes about 3 minutes and 2.7 GB of memory
on a 2-core machine. ``PYHELM_WEED`` names a ``weed`` binary to use instead.

    python -m pyhelm.testing.seaweedfs_build      # build or reuse; prints the path
"""

from __future__ import annotations

from pathlib import Path

from pyhelm.testing.go_build import WrappedModule

WEED = WrappedModule("seaweedfs", "github.com/seaweedfs/seaweedfs/weed", "weed",
                     "PYHELM_WEED", "seaweedfs weed (about 3 min cold)")


def build() -> Path:
    """Build (or reuse) ``weed``; return its path."""
    return WEED.build()


if __name__ == "__main__":
    print(build())
