"""Files pyhelm writes for others to read are 0644, as Helm writes them: a pulled
package, a package, an index (mkstemp alone would leave 0600)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "pyhelm"


def test_pulled_and_unpacked_charts_are_world_readable(served: str, user_dirs: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(user_dirs / "config"),
           "XDG_CACHE_HOME": str(user_dirs / "cache")}
    old = os.umask(0o022)
    try:
        for args in (["repo", "add", "local", served],
                     ["pull", "local/demo", "-d", str(user_dirs / "out")],
                     ["pull", "local/demo", "-d", str(user_dirs / "tree"), "--untar"]):
            done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True,
                                  env=env, check=False)
            assert done.returncode == 0, done.stderr
    finally:
        os.umask(old)
    assert oct((user_dirs / "out" / "demo-0.1.0.tgz").stat().st_mode & 0o777) == "0o644"
    chart_yaml = user_dirs / "tree" / "demo" / "Chart.yaml"
    assert oct(chart_yaml.stat().st_mode & 0o777) == "0o644"
    # credentials stay private
    repos = user_dirs / "config" / "helm" / "repositories.yaml"
    assert oct(repos.stat().st_mode & 0o777) == "0o600"
