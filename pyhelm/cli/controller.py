"""``pyhelm controller``: reconcile Flux ``helm.toolkit.fluxcd.io/v2`` HelmRelease objects
until SIGTERM or SIGINT (flags as helm-controller's, where they apply)."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, cast

import click

from pyhelm.cli.globals import settings

if TYPE_CHECKING:
    from pyhelm.controller.reconcile import ReconcileResult, StatusKubeClient


def _log(level: str, message: str, **fields: object) -> None:
    """One JSON line on stderr, as Flux's controllers log."""
    record = {"level": level, "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
              "msg": message, **fields}
    sys.stderr.write(json.dumps(record) + "\n")
    sys.stderr.flush()


def _report(result: ReconcileResult) -> None:
    namespace, _, name = result.key.partition("/")
    _log("info" if result.ready or result.action == "suspended" else "error",
         result.message, controller="helmrelease",
         HelmRelease={"name": name, "namespace": namespace}, action=result.action,
         reason=result.reason, revision=result.revision)


@click.command("controller")
@click.option("--watch-all-namespaces", type=bool, default=True, show_default=True,
              help="Watch HelmReleases in every namespace (false: only RUNTIME_NAMESPACE).")
@click.option("--watch-label-selector", default="",
              help="Watch only HelmReleases whose labels match this selector.")
@click.option("--concurrent", type=click.IntRange(min=1), default=4, show_default=True,
              help="The number of HelmReleases reconciled at once.")
@click.option("--requeue-dependency", default="5s", show_default=True,
              help="How soon a release whose chart source has no ready artifact is "
                   "looked at again (dependsOn is not supported yet).")
@click.option("--enable-leader-election", type=bool, default=False, show_default=True,
              help="Lease-based leader election (not supported yet: only false).")
@click.option("--metrics-addr", default=":8080", show_default=True,
              help="The address /metrics (Prometheus) is served on.")
@click.option("--health-addr", default=":9440", show_default=True,
              help="The address /healthz and /readyz are served on.")
@click.pass_context
def controller_command(ctx: click.Context, watch_all_namespaces: bool,
                       watch_label_selector: str, concurrent: int, requeue_dependency: str,
                       enable_leader_election: bool, metrics_addr: str,
                       health_addr: str) -> None:
    """Reconcile Flux HelmRelease objects (helm.toolkit.fluxcd.io/v2) as helm-controller
    does, with pyhelm's install and upgrade: charts from source-controller's artifacts
    (spec.chartRef to an OCIRepository or HelmChart), releases as ordinary Helm records.

    Runs until SIGTERM or SIGINT. RUNTIME_NAMESPACE names the namespace watched when
    --watch-all-namespaces=false."""
    from pyhelm.action.configuration import connect_kube
    from pyhelm.controller.loop import Controller, ControllerOptions
    from pyhelm.controller.probes import serve
    from pyhelm.controller.reconcile import reconcile_release
    from pyhelm.controller.spec import parse_duration
    from pyhelm.errors import UsageError

    if enable_leader_election:
        raise UsageError("--enable-leader-election: leader election is not supported yet")
    namespace: str | None = None
    if not watch_all_namespaces:
        namespace = os.environ.get("RUNTIME_NAMESPACE") or settings(ctx).namespace
        if not namespace:
            raise UsageError("--watch-all-namespaces=false needs RUNTIME_NAMESPACE")
    current = settings(ctx)

    def kube() -> StatusKubeClient:
        return cast("StatusKubeClient", connect_kube(current))

    requeue = parse_duration(requeue_dependency, "--requeue-dependency")
    controller = Controller(kube, ControllerOptions(
        namespace=namespace, concurrent=concurrent,
        label_selector=watch_label_selector or None), report=_report,
        log=lambda message: _log("error", message, controller="helmrelease"),
        reconcile=functools.partial(reconcile_release, source_requeue=requeue))

    def stop(signum: int, _: FrameType | None) -> None:
        _log("info", f"{signal.Signals(signum).name}: stopping")
        controller.stop()

    try:
        servers = [
            serve(health_addr, {
                "/healthz": lambda: (200, "ok\n"),
                "/readyz": lambda: (200, "ok\n") if controller.synced.is_set()
                else (503, "HelmReleases not listed yet\n")}),
            serve(metrics_addr, {"/metrics": lambda: (200, controller.metrics.render())})]
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot serve --health-addr {health_addr} and --metrics-addr "
                         f"{metrics_addr}: {exc}") from exc
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _log("info", "starting controller", namespace=namespace or "*", concurrent=concurrent)
    controller.run()
    for server in servers:
        server.shutdown()
        server.server_close()
    _log("info", "stopped")
