"""``make demo``: a local control plane, then the pyhelm CLI as a user runs it.

install -> upgrade (more replicas) -> rollback of ``charts/demo`` with ``--wait``
reaching Ready, printing ``history`` and ``status`` between steps; the cluster is torn
down at the end. Any failing step stops the demo with a non-zero exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pyhelm.testing.cluster import LocalCluster

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "demo"
RELEASE = "demo"
NAMESPACE = "demo"


def steps() -> list[list[str]]:
    """The CLI invocations of the demo, in order."""
    common = ["-n", NAMESPACE]
    return [
        [*common, "install", RELEASE, str(CHART), "--create-namespace", "--wait",
         "--timeout", "3m0s"],
        [*common, "history", RELEASE],
        [*common, "upgrade", RELEASE, str(CHART), "--set", "replicaCount=3", "--wait",
         "--timeout", "3m0s"],
        [*common, "status", RELEASE, "--show-resources"],
        [*common, "history", RELEASE],
        [*common, "rollback", RELEASE, "1", "--wait", "--timeout", "3m0s"],
        [*common, "history", RELEASE],
        [*common, "status", RELEASE],
        ["list", "-A"],
    ]


def run_step(args: list[str], kubeconfig: Path) -> None:
    command = [sys.executable, "-m", "pyhelm", "--kubeconfig", str(kubeconfig), *args]
    print(f"\n$ pyhelm {' '.join(args)}", flush=True)
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    subprocess.run(command, check=True, env=env)


def main() -> int:
    print("starting the local control plane ...", flush=True)
    try:
        with LocalCluster.start() as cluster:
            for args in steps():
                run_step(args, cluster.kubeconfig_path)
    except subprocess.CalledProcessError as exc:
        print(f"demo failed: pyhelm exited {exc.returncode}", file=sys.stderr)
        return 1
    print("\ndemo complete", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
