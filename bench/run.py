"""Rendering in process: the Jinja2 engine alone, without process start.

    python bench/run.py [--repeat 3] [--smoke]

Render + parse of the microservices chart (6 objects per service) for N = 1, 100, 1000:
wall time and objects/s. Whole-process comparisons with Helm are
``bench/commands.py``'s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhelm.chart.loader import load_chart  # noqa: E402
from pyhelm.chart.prepare import prepare  # noqa: E402
from pyhelm.engine.release_info import ReleaseContext  # noqa: E402
from pyhelm.engine.render import render  # noqa: E402

CHART = ROOT / "bench" / "charts" / "microservices"


def best_of(repeat: int, action: object) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return min(timings)


def in_process(services: int, repeat: int) -> tuple[float, int]:
    chart = load_chart(CHART)
    count = 0

    def run() -> None:
        nonlocal count
        rendered = render(prepare(chart, {"services": services}),
                          release=ReleaseContext("bench"))
        count = len(rendered.manifests)

    return best_of(repeat, run), count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="small sizes, one run")
    args = parser.parse_args()
    sizes, repeat = ((1, 10), 1) if args.smoke else ((1, 100, 1000), args.repeat)
    print(f"in-process render + parse (best of {repeat})")
    for services in sizes:
        seconds, objects = in_process(services, repeat)
        print(f"  N={services:<5} {objects:>5} objects  {seconds * 1000:8.1f} ms  "
              f"{objects / seconds:10.0f} objects/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
