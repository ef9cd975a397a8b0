"""``pyhelm controller``: reconcile Flux ``helm.toolkit.fluxcd.io/v2`` HelmRelease objects
until SIGTERM or SIGINT (flags as helm-controller's, where they apply)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import socket
import sys
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, cast

import click

from pyhelm.cli.globals import settings

if TYPE_CHECKING:
    from pyhelm.controller.leader import LeaderElector, LeaseClient
    from pyhelm.controller.reconcile import ReconcileResult, StatusKubeClient
    from pyhelm.settings import Settings


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
@click.option("--watch-all-namespaces", type=bool, is_flag=False, flag_value=True,
              default=True, show_default=True,
              help="Watch HelmReleases in every namespace (false: only RUNTIME_NAMESPACE).")
@click.option("--watch-label-selector", default="",
              help="Watch only HelmReleases whose labels match this selector.")
@click.option("--concurrent", type=click.IntRange(min=1), default=4, show_default=True,
              help="The number of HelmReleases reconciled at once.")
@click.option("--requeue-dependency", default="5s", show_default=True,
              help="How soon a release whose chart source has no ready artifact is "
                   "looked at again (dependsOn is not supported yet).")
@click.option("--enable-leader-election", type=bool, is_flag=False, flag_value=True,
              default=False, show_default=True,
              help="Only the holder of the Lease helm-controller-leader-election (with a "
                   "--watch-label-selector: its shard's) in RUNTIME_NAMESPACE reconciles; "
                   "the others stand by.")
@click.option("--leader-election-release-on-cancel", type=bool, is_flag=False,
              flag_value=True, default=True, show_default=True,
              help="Give the Lease up on SIGTERM/SIGINT, so a standby takes over at once.")
@click.option("--leader-election-lease-duration", default="35s", show_default=True,
              help="How long a standby waits on an unrenewed Lease before taking it.")
@click.option("--leader-election-renew-deadline", default="30s", show_default=True,
              help="How long the leader tries to renew before giving up (and exiting 1).")
@click.option("--leader-election-retry-period", default="5s", show_default=True,
              help="How often candidates try to take, and the leader to renew, the Lease.")
@click.option("--metrics-addr", default=":8080", show_default=True,
              help="The address /metrics (Prometheus) is served on.")
@click.option("--health-addr", default=":9440", show_default=True,
              help="The address /healthz and /readyz are served on.")
@click.pass_context
def controller_command(ctx: click.Context, watch_all_namespaces: bool,
                       watch_label_selector: str, concurrent: int, requeue_dependency: str,
                       enable_leader_election: bool,
                       leader_election_release_on_cancel: bool,
                       leader_election_lease_duration: str,
                       leader_election_renew_deadline: str,
                       leader_election_retry_period: str, metrics_addr: str,
                       health_addr: str) -> None:
    """Reconcile Flux HelmRelease objects (helm.toolkit.fluxcd.io/v2) as helm-controller
    does, with pyhelm's install and upgrade: charts from source-controller's artifacts
    (spec.chartRef to an OCIRepository or HelmChart), releases as ordinary Helm records.

    Runs until SIGTERM or SIGINT. RUNTIME_NAMESPACE names the namespace watched when
    --watch-all-namespaces=false, and the Lease's with --enable-leader-election=true.
    Exits 1 when the Lease is lost (not renewed within the renew deadline)."""
    from pyhelm.action.configuration import connect_kube
    from pyhelm.controller.events import EventRecorder
    from pyhelm.controller.leader import new_identity
    from pyhelm.controller.loop import Controller, ControllerOptions
    from pyhelm.controller.probes import serve
    from pyhelm.controller.reconcile import reconcile_release
    from pyhelm.controller.spec import parse_duration
    from pyhelm.engine import engine_pool
    from pyhelm.errors import UsageError

    namespace: str | None = None
    if not watch_all_namespaces:
        namespace = os.environ.get("RUNTIME_NAMESPACE") or settings(ctx).namespace
        if not namespace:
            raise UsageError("--watch-all-namespaces=false needs RUNTIME_NAMESPACE")
    current = settings(ctx)

    def kube() -> StatusKubeClient:
        return cast("StatusKubeClient", connect_kube(current))

    requeue = parse_duration(requeue_dependency, "--requeue-dependency")
    elector = None
    if enable_leader_election:
        elector = _elector(current, watch_label_selector, leader_election_lease_duration,
                           leader_election_renew_deadline, leader_election_retry_period)
    instance = elector.config.identity if elector else new_identity()
    recorder = EventRecorder(kube, instance, log=lambda message: _log(
        "error", message, controller="helmrelease"))
    controller = Controller(kube, ControllerOptions(
        namespace=namespace, concurrent=concurrent,
        label_selector=watch_label_selector or None), report=_report,
        log=lambda message: _log("error", message, controller="helmrelease"),
        reconcile=functools.partial(reconcile_release, source_requeue=requeue),
        record=recorder.record)
    stopping = threading.Event()

    def stop(signum: int, _: FrameType | None) -> None:
        _log("info", f"{signal.Signals(signum).name}: stopping")
        stopping.set()
        controller.stop()

    def ready() -> tuple[int, str]:
        if controller.synced.is_set():
            return 200, "ok\n"
        if elector is not None and elector.standing_by.is_set():
            return 200, "ok: standing by for the Lease\n"
        return 503, "HelmReleases not listed yet\n"

    try:
        servers = [
            serve(health_addr, {"/healthz": lambda: (200, "ok\n"), "/readyz": ready}),
            serve(metrics_addr, {"/metrics": lambda: (200, controller.metrics.render())})]
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot serve --health-addr {health_addr} and --metrics-addr "
                         f"{metrics_addr}: {exc}") from exc
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _log("info", "starting controller", namespace=namespace or "*", concurrent=concurrent,
         **({"lease": f"{elector.config.namespace}/{elector.config.name}",
             "identity": instance} if elector else {}))
    renewed = threading.Event()  # set: stop renewing
    if elector is not None:
        leading = elector.is_leader
        controller.metrics.gauge(
            "leader_election_master_status", "Gauge of if the reporting system is master "
            "of the relevant lease, 0 indicates backup, 1 indicates master.",
            f'name="{elector.config.name}"', lambda: 1.0 if leading.is_set() else 0.0)
        if not elector.acquire(stopping):
            _close(servers)
            _log("info", "stopped")
            return
        _take_over(kube(), elector, namespace)

        def keep() -> None:
            if not elector.keep(renewed):
                _log("error", "leader election lost", lease=elector.config.name,
                     holder=elector.holder)
                os._exit(1)  # as controller-runtime: another leader may be acting already

        keeper = threading.Thread(target=keep, name="lease", daemon=True)
        keeper.start()
    if not stopping.is_set():
        # long-running engines: a render costs ~1 ms of CPU instead of a Go start's 20
        engine_pool.serve_renders(keep=min(concurrent, 4))
        try:
            controller.run()
        finally:
            engine_pool.stop_serving()
    renewed.set()
    if elector is not None:
        keeper.join(timeout=elector.config.retry_period * 2)  # no renewal racing release
    if elector is not None and leader_election_release_on_cancel and elector.release():
        _log("info", "released the Lease", lease=elector.config.name)
    _close(servers)
    _log("info", "stopped")


def _close(servers: list[http.server.ThreadingHTTPServer]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


def _elector(current: Settings, selector: str, lease_duration: str, renew_deadline: str,
             retry_period: str) -> LeaderElector:
    from pyhelm.action.configuration import connect_kube
    from pyhelm.controller.leader import ElectionConfig, LeaderElector, election_id
    from pyhelm.controller.spec import parse_duration
    from pyhelm.errors import UsageError

    where = os.environ.get("RUNTIME_NAMESPACE") or current.namespace
    if not where:
        raise UsageError("--enable-leader-election needs RUNTIME_NAMESPACE (the Lease's "
                         "namespace)")
    try:
        config = ElectionConfig(
            name=election_id(selector or None), namespace=where,
            lease_duration=parse_duration(lease_duration, "--leader-election-lease-duration"),
            renew_deadline=parse_duration(renew_deadline, "--leader-election-renew-deadline"),
            retry_period=parse_duration(retry_period, "--leader-election-retry-period"))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return LeaderElector(cast("LeaseClient", connect_kube(current)), config,
                         log=lambda message: _log("info", message, controller="helmrelease"))


def _take_over(kube: StatusKubeClient, elector: LeaderElector, namespace: str | None) -> None:
    """Fail the pending revisions the previous leader's host left (see takeover)."""
    from pyhelm.controller.leader import holder_host
    from pyhelm.controller.takeover import recover_abandoned
    from pyhelm.errors import PyhelmError

    previous = holder_host(elector.previous_holder)
    if not previous:
        return
    try:
        recover_abandoned(kube, previous, socket.gethostname(), namespace,
                          f"pyhelm-controller {elector.config.identity} (took Lease "
                          f"{elector.config.name} over from {elector.previous_holder})",
                          log=lambda message: _log("info", message, controller="helmrelease"))
    except PyhelmError as exc:
        _log("error", f"recovering the releases {elector.previous_holder} left: {exc}")
