"""Building (once per machine) helmfile, the declarative client of ``helm`` that the
tests point at pyhelm, from the wrapper module ``tools/helmfile`` (see
``go_build.WrappedModule``). ``PYHELM_HELMFILE`` names a binary to use instead.

    python -m pyhelm.testing.helmfile_build      # build or reuse; prints the path
"""

from __future__ import annotations

from pathlib import Path

from pyhelm.testing.go_build import WrappedModule

HELMFILE = WrappedModule("helmfile", "github.com/helmfile/helmfile", "helmfile",
                         "PYHELM_HELMFILE", "helmfile (about 4 min cold)")


def build() -> Path:
    return HELMFILE.build()


if __name__ == "__main__":
    print(build())
