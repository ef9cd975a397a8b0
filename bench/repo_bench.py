"""Repository benchmark: pyhelm vs helm on the same data in the same run.

    python bench/repo_bench.py [--packages 1000] [--charts 1000] [--versions 10]

1. ``repo index`` of a directory of N packages (fresh copies for each tool).
2. ``search repo`` (whole process) over an index of charts x versions entries, cached
   for both tools as the repository "bench". Best of three runs each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhelm import yamlio  # noqa: E402
from pyhelm.chart.package import package_bytes  # noqa: E402
from pyhelm.testing.peers import helm_binary  # noqa: E402

PYHELM = Path(sys.executable).parent / "pyhelm"


def best(command: list[str], env: dict[str, str], repeat: int = 3,
         setup: object = None) -> float:
    timings = []
    for _ in range(repeat):
        if setup:
            setup()  # type: ignore[operator]
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return min(timings)


def make_packages(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    for i in range(count):
        name, version, data = package_bytes(ROOT / "charts" / "demo", version=f"1.{i}.0")
        (directory / f"{name}-{version}.tgz").write_bytes(data)


def make_index(path: Path, charts: int, versions: int) -> None:
    entries = {}
    for c in range(charts):
        name = f"chart-{c:04d}"
        entries[name] = [{
            "apiVersion": "v2", "name": name, "version": f"1.{v}.0", "appVersion": "1.0",
            "description": f"Benchmark chart number {c} for the search benchmark",
            "keywords": ["bench", f"k{c % 50}"],
            "urls": [f"{name}-1.{v}.0.tgz"], "digest": f"{c:032x}{v:032x}",
            "created": "2026-01-01T00:00:00Z"} for v in range(versions)]
    path.write_text(yamlio.dump({"apiVersion": "v1", "entries": entries,
                                 "generated": "2026-01-01T00:00:00Z"}, sort_keys=False))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    helm = str(helm_binary())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xc"),
               "XDG_CACHE_HOME": str(root / "xca"), "HELM_CONFIG_HOME": str(root / "hc"),
               "HELM_CACHE_HOME": str(root / "hca"), "HELM_DATA_HOME": str(root / "hd")}
        make_packages(root / "packages", args.packages)

        def fresh(target: str) -> object:
            def copy() -> None:
                shutil.rmtree(root / target, ignore_errors=True)
                shutil.copytree(root / "packages", root / target)
            return copy

        ours = best([str(PYHELM), "repo", "index", str(root / "a")], env, setup=fresh("a"))
        theirs = best([helm, "repo", "index", str(root / "b")], env, setup=fresh("b"))
        print(f"repo index, {args.packages} packages: pyhelm {ours:.2f}s  helm {theirs:.2f}s"
              f"  pyhelm/helm = {ours / theirs:.2f}")

        index = root / "index.yaml"
        make_index(index, args.charts, args.versions)
        for cache in (root / "xca" / "pyhelm" / "repository", root / "hca" / "repository"):
            cache.mkdir(parents=True)
            shutil.copy(index, cache / "bench-index.yaml")
        repos = {"apiVersion": "", "generated": "2026-01-01T00:00:00Z",
                 "repositories": [{"name": "bench", "url": "http://127.0.0.1:9/"}]}
        for config in (root / "xc" / "pyhelm" / "repositories.yaml",
                       root / "hc" / "repositories.yaml"):
            config.parent.mkdir(parents=True)
            config.write_text(yamlio.dump(repos))
        entries = args.charts * args.versions
        for words in (["search", "repo", "k7"], ["search", "repo", "k7", "--versions"]):
            ours = best([str(PYHELM), *words], env)
            theirs = best([helm, *words], env)
            print(f"{' '.join(words)} over {entries} entries: pyhelm {ours:.2f}s  "
                  f"helm {theirs:.2f}s  pyhelm/helm = {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
