"""Release benchmark: pyhelm vs helm on the same local API server, in one run.

1. install + upgrade of the 1000-service chart (``bench/charts/microservices`` and its
   Helm twin ``bench/charts/microservices-helm``), when those charts exist;
2. ``list -A`` over N releases x M revisions, written directly with the release store
   (once per cluster: a later run reuses them), then ``history`` and ``status`` of one
   of them; medians of ``--runs`` alternating runs of each tool.

Usage: python bench/release_bench.py [--releases 1000] [--revisions 10] [--runs 5]
Uses $KUBECONFIG when set, otherwise starts the local control plane (its /12 service
range has room for both tools' copies of the 1000-service chart).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHARTS = ROOT / "bench" / "charts"


@contextlib.contextmanager
def cluster_kubeconfig() -> Iterator[str]:
    if os.environ.get("KUBECONFIG"):
        yield os.environ["KUBECONFIG"]
        return
    from pyhelm.testing.cluster import LocalCluster

    with LocalCluster.start() as cluster:
        yield str(cluster.kubeconfig_path)


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


BASELINE = os.environ.get("PYHELM_BENCH_BASELINE", "")  # another pyhelm checkout to time


def compare(label: str, ours: list[str], theirs: list[str], env: dict[str, str],
            runs: int) -> None:
    """Median, min and max of ``runs`` alternating runs of each tool (and of the pyhelm
    checkout at $PYHELM_BENCH_BASELINE, when set: before/after in one run)."""
    commands = {"pyhelm": (ours, env), "helm": (theirs, env)}
    if BASELINE:
        commands["baseline"] = (ours, {**env, "PYTHONPATH": BASELINE})
    times: dict[str, list[float]] = {tool: [] for tool in commands}
    for _ in range(runs):
        for tool, (command, tool_env) in commands.items():
            times[tool].append(timed(command, tool_env))
    medians = {tool: statistics.median(found) for tool, found in times.items()}
    shown = ", ".join(f"{tool} {medians[tool]:.3f}s ({min(found):.3f}-{max(found):.3f})"
                      for tool, found in times.items())
    print(f"{label}: {shown}, ratio {medians['pyhelm'] / medians['helm']:.2f} "
          f"(medians of {runs})", flush=True)


def pyhelm_cmd(kubeconfig: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "pyhelm", "--kubeconfig", kubeconfig, *args]


def helm_cmd(kubeconfig: str, *args: str) -> list[str]:
    from pyhelm.testing.peers import helm_binary

    return [str(helm_binary()), "--kubeconfig", kubeconfig, *args]


def seed_releases(kubeconfig: str, namespace: str, releases: int, revisions: int) -> None:
    from pyhelm.action.records import new_release, with_outcome
    from pyhelm.chart.loader import load_chart
    from pyhelm.engine.manifest import Rendered
    from pyhelm.kube.client import connect
    from pyhelm.storage.store import ReleaseStore, driver_for

    kube = connect(kubeconfig=kubeconfig, namespace=namespace)
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    if len(kube.list_metadata("v1", "Secret", namespace, "owner=helm")) == \
            releases * revisions:
        return  # seeded by an earlier run on this cluster
    store = ReleaseStore(driver_for("secret", kube, namespace))
    chart = load_chart(ROOT / "charts" / "demo")
    empty = Rendered(manifests=(), hooks=(), crds=(), notes="", templates={})
    now = datetime.now(UTC)

    def write(index: int) -> None:
        for version in range(1, revisions + 1):  # as install/upgrade write them
            state = "deployed" if version == revisions else "superseded"
            pending = new_release(name=f"rel-{index:04d}", namespace=namespace,
                                  revision=version, chart=chart, config={}, rendered=empty,
                                  state="pending-install" if version == 1
                                  else "pending-upgrade", description="bench", now=now)
            store.create(pending)
            store.update(with_outcome(pending, state=state, description="bench", now=now))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write, range(releases)))


def bench_list(kubeconfig: str, env: dict[str, str], releases: int, revisions: int,
               runs: int) -> None:
    namespace = f"bench-list-{releases}x{revisions}"
    started = time.perf_counter()
    seed_releases(kubeconfig, namespace, releases, revisions)
    print(f"seeded {releases} releases x {revisions} revisions in "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    listing = ("list", "-A", "--max", "0")
    compare(f"list -A, {releases} releases x {revisions} revisions",
            pyhelm_cmd(kubeconfig, *listing), helm_cmd(kubeconfig, *listing), env, runs)
    for label, args in ((f"history, {revisions} revisions", ("history", "rel-0000")),
                        ("status", ("status", "rel-0000"))):
        scoped = ("-n", namespace, *args)
        compare(label, pyhelm_cmd(kubeconfig, *scoped), helm_cmd(kubeconfig, *scoped), env,
                runs)


def bench_install(kubeconfig: str, env: dict[str, str], services: int) -> None:
    ours_chart, helm_chart = CHARTS / "microservices", CHARTS / "microservices-helm"
    if not (ours_chart.exists() and helm_chart.exists()):
        print("install/upgrade: skipped (bench/charts/microservices[-helm] not present)")
        return
    size = ("--set", f"services={services}", "--timeout", "10m")
    changed = (*size, "--set", "settings.logLevel=debug")
    for verb, extra in (("install", size), ("upgrade", changed)):
        ours = timed(pyhelm_cmd(kubeconfig, "-n", "bench-py", verb, "ms", str(ours_chart),
                                *(("--create-namespace",) if verb == "install" else ()),
                                *extra), env)
        theirs = timed(helm_cmd(kubeconfig, "-n", "bench-helm", verb, "ms", str(helm_chart),
                                *(("--create-namespace",) if verb == "install" else ()),
                                *extra), env)
        print(f"{verb}: pyhelm {ours:.2f}s, helm {theirs:.2f}s, ratio {ours / theirs:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=1000)
    parser.add_argument("--revisions", type=int, default=10)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--only", choices=["install", "list"], default=None)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    args = parser.parse_args()
    with cluster_kubeconfig() as kubeconfig:
        env = dict(os.environ, KUBECONFIG=kubeconfig)
        if args.only != "list":
            bench_install(kubeconfig, env, args.services)
        if args.only != "install":
            bench_list(kubeconfig, env, args.releases, args.revisions, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())


