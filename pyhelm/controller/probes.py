"""The controller's HTTP endpoints, as helm-controller's: ``/healthz`` and ``/readyz`` on
``--health-addr`` (ready once the first list of HelmReleases succeeded), ``/metrics`` on
``--metrics-addr`` in Prometheus' text format: ``gotk_reconcile_duration_seconds`` (a
histogram per HelmRelease, Flux's name and labels) and
``pyhelm_controller_reconciles_total`` by result; controller-runtime's
``controller_runtime_reconcile_total{controller="helmrelease",result=...}`` (``success``,
``error``, ``requeue_after``) and gauges (``workqueue_depth{name="helmrelease"}``,
``leader_election_master_status{name=<Lease>}``) read when scraped, and client-go's
``rest_client_requests_total{code,method}`` (this process's API requests)."""

from __future__ import annotations

import http.server
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from pyhelm.kube.client import requests_by_code

BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class Metrics:
    """Counters and histograms the workers update; rendered on each scrape."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _durations: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    _results: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # name -> (help, {labels: reader}): values read at each scrape
    gauges: dict[str, tuple[str, dict[str, Callable[[], float]]]] = field(
        default_factory=dict)

    def outcome(self, result: str) -> None:
        """Count one reconcile by controller-runtime's result label."""
        with self._lock:
            self._outcomes[result] += 1

    def gauge(self, name: str, help_text: str, labels: str,
              read: Callable[[], float]) -> None:
        with self._lock:
            self.gauges.setdefault(name, (help_text, {}))[1][labels] = read

    def observe(self, namespace: str, name: str, seconds: float, action: str) -> None:
        with self._lock:
            counts = self._durations.setdefault((namespace, name), [0.0] * (len(BUCKETS) + 2))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            counts[-2] += 1  # count
            counts[-1] += seconds  # sum
            self._results[action] += 1

    def render(self) -> str:
        lines = ["# HELP gotk_reconcile_duration_seconds The duration in seconds of a "
                 "GitOps Toolkit resource reconciliation.",
                 "# TYPE gotk_reconcile_duration_seconds histogram"]
        with self._lock:
            for (namespace, name), counts in sorted(self._durations.items()):
                labels = f'kind="HelmRelease",name="{name}",namespace="{namespace}"'
                for index, bound in enumerate(BUCKETS):
                    lines.append(f'gotk_reconcile_duration_seconds_bucket{{{labels},'
                                 f'le="{bound:g}"}} {counts[index]:g}')
                lines.append(f'gotk_reconcile_duration_seconds_bucket{{{labels},le="+Inf"}} '
                             f"{counts[-2]:g}")
                lines.append(f"gotk_reconcile_duration_seconds_count{{{labels}}} "
                             f"{counts[-2]:g}")
                lines.append(f"gotk_reconcile_duration_seconds_sum{{{labels}}} {counts[-1]:g}")
            lines += ["# HELP pyhelm_controller_reconciles_total Reconcile steps by result.",
                      "# TYPE pyhelm_controller_reconciles_total counter"]
            lines += [f'pyhelm_controller_reconciles_total{{result="{action}"}} {count}'
                      for action, count in sorted(self._results.items())]
            lines += ["# HELP controller_runtime_reconcile_total Total number of "
                      "reconciliations per controller",
                      "# TYPE controller_runtime_reconcile_total counter"]
            lines += [f'controller_runtime_reconcile_total{{controller="helmrelease",'
                      f'result="{result}"}} {count}'
                      for result, count in sorted(self._outcomes.items())]
            lines += ["# HELP rest_client_requests_total Number of HTTP requests, "
                      "partitioned by status code and method.",
                      "# TYPE rest_client_requests_total counter"]
            lines += [f'rest_client_requests_total{{code="{code}",method="{method}"}} {n}'
                      for (code, method), n in sorted(requests_by_code().items())]
            for name, (help_text, readers) in sorted(self.gauges.items()):
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
                lines += [f"{name}{{{labels}}} {read():g}"
                          for labels, read in sorted(readers.items())]
        return "\n".join(lines) + "\n"


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)  # ":9440": every address, as Go reads it


def serve(address: str, routes: dict[str, Callable[[], tuple[int, str]]]
          ) -> http.server.ThreadingHTTPServer:
    """Serve ``routes`` (path -> (status, text)) on ``address`` in a daemon thread."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            status, text = route() if route else (404, "not found\n")
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(_split(address), Handler)
    threading.Thread(target=server.serve_forever, name=f"serve {address}",
                     daemon=True).start()
    return server
