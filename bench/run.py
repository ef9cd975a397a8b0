"""Rendering benchmark: pyhelm against helm on the same machine, in the same run.

    python bench/run.py [--repeat 3]

1. In-process render + parse of the microservices chart (6 objects per service) for
   N = 1, 100, 1000: wall time and objects/s (target: N=1000 under 1 s).
2. The whole ``pyhelm template`` process against ``helm template`` for N = 1 (target:
   under 150 ms) and N = 1000, with the ratio. Best of ``--repeat`` runs each.
3. The Go-template twin of the chart through ``pyhelm template`` (Helm's engine in
   helm-engine) against ``helm template`` of the same chart: median and min-max of
   ``--repeat`` runs, interleaved so machine noise hits both alike (targets: 6 objects
   within 1.5x of Helm, 6000 objects no slower than Helm).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
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
HELM_CHART = ROOT / "bench" / "charts" / "microservices-helm"


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


def process(command: list[str], repeat: int) -> float:
    return best_of(repeat, lambda: subprocess.run(command, check=True,
                                                  stdout=subprocess.DEVNULL))


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each command, run in turns so load affects all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    return times


def describe(samples: list[float]) -> str:
    return (f"{statistics.median(samples) * 1000:8.1f} ms "
            f"({min(samples) * 1000:.0f}-{max(samples) * 1000:.0f})")


def go_template_twin(pyhelm: list[str], helm: str, repeat: int) -> None:
    print(f"Go-template chart, whole process, template (median of {repeat}, min-max)")
    for services in (1, 1000):
        args = ["template", "bench", str(HELM_CHART), "--set", f"services={services}"]
        times = interleaved({"pyhelm": [*pyhelm, *args], "helm": [helm, *args]}, repeat)
        ratio = statistics.median(times["pyhelm"]) / statistics.median(times["helm"])
        print(f"  N={services:<5} pyhelm {describe(times['pyhelm'])}   "
              f"helm {describe(times['helm'])}   pyhelm/helm = {ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("jinja", "go"), default=None)
    args = parser.parse_args()
    from pyhelm.testing.peers import helm_binary

    helm = str(helm_binary())
    script = Path(sys.executable).parent / "pyhelm"  # the console script users run
    pyhelm = [str(script)] if script.exists() else [sys.executable, "-m", "pyhelm"]
    if args.only == "go":
        go_template_twin(pyhelm, helm, args.repeat)
        return 0
    print(f"in-process render + parse (best of {args.repeat})")
    for services in (1, 100, 1000):
        seconds, objects = in_process(services, args.repeat)
        print(f"  N={services:<5} {objects:>5} objects  {seconds * 1000:8.1f} ms  "
              f"{objects / seconds:10.0f} objects/s")
    print(f"whole process, template (best of {args.repeat})")
    for services in (1, 1000):
        ours = process([*pyhelm, "template", "bench", str(CHART), "--set",
                        f"services={services}"], args.repeat)
        theirs = process([helm, "template", "bench", str(HELM_CHART), "--set",
                          f"services={services}"], args.repeat)
        print(f"  N={services:<5} pyhelm {ours * 1000:8.1f} ms   helm {theirs * 1000:8.1f} ms"
              f"   pyhelm/helm = {ours / theirs:.2f}")
    if args.only is None:
        go_template_twin(pyhelm, helm, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
