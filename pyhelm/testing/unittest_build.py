"""Building (once per machine) helm-unittest, the ``helm unittest`` plugin, and laying it
out as a plugin directory that ``pyhelm plugin install DIR`` takes.

``tools/helm-unittest`` is a wrapper Go module: a ``require`` of helm-unittest plus a copy
of its ``replace`` (which makes ``go install …@version`` refuse it); ``tools.go`` imports
the command. The binary goes to ``~/.cache/pyhelm/helm-unittest-<hash>/untt``, ``<hash>``
covering every file of the wrapper module and the build flags, so a warm call is a stat.
``plugin_dir`` copies the module's own ``plugin.yaml`` and ``install-binary.sh`` beside
the binary, named as the plugin's platform command for this machine expects (its install
hook skips downloading with ``SKIP_BIN_INSTALL=1``).

    python -m pyhelm.testing.unittest_build      # build or reuse; prints the path
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from pyhelm.testing.cluster_build import cache_root
from pyhelm.testing.go_build import build_once

SOURCE_DIR = Path(__file__).resolve().parents[2] / "tools" / "helm-unittest"
MODULE = "github.com/helm-unittest/helm-unittest"
PACKAGE = f"{MODULE}/cmd/helm-unittest"
VERSION = "1.1.2"
_LDFLAGS = f"-s -w -X {MODULE}/internal/build.version={VERSION}"


def source_hash() -> str:
    digest = hashlib.sha256(_LDFLAGS.encode())
    for path in sorted(SOURCE_DIR.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def binary_path() -> Path:
    return cache_root() / f"helm-unittest-{source_hash()}" / "untt"


def build() -> Path:
    """Build (or reuse) helm-unittest's binary; return its path."""
    target = binary_path()

    def compile_to(output: Path) -> None:
        env = {**os.environ, "CGO_ENABLED": "0"}
        subprocess.run(["go", "build", "-trimpath", "-ldflags", _LDFLAGS, "-o", str(output),
                        PACKAGE], cwd=SOURCE_DIR, env=env, check=True)

    return build_once(target, "helm-unittest", compile_to, target.is_file)


def _module_dir() -> Path:
    found = subprocess.run(["go", "mod", "download", "-json", f"{MODULE}@v{VERSION}"],
                           cwd=SOURCE_DIR, capture_output=True, text=True, check=True)
    return Path(json.loads(found.stdout)["Dir"])


def plugin_dir(target: Path) -> Path:
    """helm-unittest as a plugin directory at ``target``: its plugin.yaml and install
    script, and the binary under the name its platform command gives for this machine."""
    from pyhelm.plugin import runtime
    from pyhelm.plugin.metadata import parse

    module = _module_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("plugin.yaml", "install-binary.sh"):
        shutil.copyfile(module / name, target / name)
    (target / "install-binary.sh").chmod(0o755)
    config = parse((module / "plugin.yaml").read_bytes()).runtime_config
    assert config is not None
    chosen = runtime.choose(config.platform_command)
    assert chosen is not None, "helm-unittest has no binary for this platform"
    binary = target / chosen.command.removeprefix("$HELM_PLUGIN_DIR/")
    shutil.copyfile(build(), binary)
    binary.chmod(0o755)
    return target


if __name__ == "__main__":
    print(build())
