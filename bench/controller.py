"""The controller benchmark (issue 24): N HelmReleases reconciled by ``pyhelm controller``
against the team without a controller, Helm 4.3.1 and the pyhelm CLI running
``upgrade --install`` ten at a time, in the same run, on the same cluster and chart.

    python bench/controller.py [--sizes 100,500,1000] [--concurrent 4,10]
                               [--rows controller,helm,...] [--markdown] [--smoke]
                               [--idle-seconds 300] [--idle-interval 2m]

Set-up, once per run: the local control plane (or ``$KUBECONFIG``), Flux's real
source-controller (``pyhelm.testing.source_controller``), Debian's docker-registry on
127.0.0.1 holding a podinfo-like chart (a Deployment with 0 replicas, a Service, a
ConfigMap; Go templates, so both tools render it with Helm's engine), pushed with
``pyhelm push``, and the HelmRelease CRD.

Rows are functions of (bench, size) that return result lines; ``ROWS`` lists them, so a
drift or failover row is one more function. Each size runs in namespaces of its own:

- ``controller --concurrent C``: one ``pyhelm controller`` process (command server off,
  watching only its namespace), an OCIRepository, then N HelmReleases applied at once
  (server-side apply from 16 threads). A watch of the bench sees each one Ready at
  generation 1: the row's time is from the first apply to the last Ready, the per-release
  latency from its apply's answer to its Ready. Then one value changed in every
  HelmRelease (generation 2): the upgrade row, timed alike. The controller's peak RSS is
  VmHWM of it and its children (helm-engine) sampled from /proc while it runs.
- ``controller --concurrent C: drift``: HelmReleases with ``driftDetection.mode:
  enabled``; once Ready, the ConfigMaps of up to 100 of them changed (half) or deleted
  (half) at once: time to the last one restored, seen by a watch of the ConfigMaps.
- ``controller --concurrent C: idle``: false positives of drift detection. HelmReleases
  with ``driftDetection.mode: enabled`` and a short ``interval`` (``--idle-interval``,
  2m: each one drift-checked a few times), Ready, then nothing changed for
  ``--idle-seconds`` (300); then the same with mode ``warn``. Counted while idle: the
  controller's Events (DriftCorrected, DriftDetected, any other), its logged steps other
  than ``unchanged``, new or rewritten release records, and writes of the managed
  objects (watched) by pyhelm's field managers, deletions or creations: any of them fails
  the row (the run exits 1). Also the controller's CPU seconds and API requests while
  idle.
- ``helm upgrade --install``, ``pyhelm upgrade --install`` (command server on and off):
  the same N releases from the same package, ``--wait`` as the controller waits,
  10 processes at a time; then the same value changed in every release.

``--no-wait`` runs the rows without waiting for the objects (the CLIs without ``--wait``,
HelmReleases with ``install``/``upgrade.disableWait``): what the tools themselves take,
without the cluster's controllers (with ``--wait``, every new Deployment waits for
kube-controller-manager, whose client sends at most 20 requests/s by default).

Each row also gives the API server's requests per release (``apiserver_request_total``
from its /metrics, before and after; it has no user-agent label, so requests are
attributed by resource: the cluster's own controllers' writes, ReplicaSets, EndpointSlices,
Events, ``*/status`` of other kinds and source-controller's, are counted apart) and the
CPU seconds of kube-apiserver and etcd (from /proc) during the row: the floor a client
cannot go below on this machine. ``--smoke`` runs every row at 3 releases: it checks the
benchmark, not speed; ``make test`` runs it (tests/test_benchmarks.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from commands import machine  # noqa: E402

HR_API = "helm.toolkit.fluxcd.io/v2"
CRD = ROOT / "pyhelm" / "controller" / "crds" / "helm.toolkit.fluxcd.io_helmreleases.yaml"
BASELINE_PARALLEL = 10
APPLY_THREADS = 16
IDLE_SECONDS, SMOKE_IDLE_SECONDS = 300.0, 6.0
IDLE_INTERVAL, SMOKE_IDLE_INTERVAL = "2m", "2s"

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 0.1.0\nappVersion: 6.9.0\n",
    "values.yaml": "replicaCount: 0\nmessage: hello\n",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-podinfo
  labels: {app: {{ .Release.Name }}-podinfo}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}-podinfo}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-podinfo}
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.9.0
          ports: [{containerPort: 9898}]
""",
    "templates/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-podinfo
spec:
  selector: {app: {{ .Release.Name }}-podinfo}
  ports: [{port: 9898}]
""",
    "templates/configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-podinfo
data:
  message: {{ .Values.message | quote }}
""",
}


# ----------------------------------------------------------------------- measures
@dataclass
class Result:
    """One line of the table."""

    row: str
    size: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # per release, seconds
    peak_mib: float | None = None
    requests: Counter[str] = field(default_factory=Counter)  # by attribution
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds
    own_requests: int | None = None  # the controller's, from its rest_client_requests_total
    failure: str = ""  # why the row failed (the run then exits 1)

    def per_release(self, who: str) -> float:
        return self.requests[who] / self.size if self.size else 0.0


@dataclass(frozen=True)
class Row:
    """One benchmark row: a function of the bench and a size, giving result lines."""

    name: str
    run: Callable[[Bench, int], list[Result]]


def _stat_cpu(pid: int) -> float:
    """utime + stime of a process and its waited-for children, in seconds."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(v) for v in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")
    return 0.0


def _cmdline(pid: str) -> list[str]:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    return []


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _status_kib(pid: int, name: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    return 0


def cluster_pids(server: str, kubeconfig: str = "") -> dict[str, int]:
    """The kube-apiserver serving ``server`` (its --secure-port), the etcd it uses and the
    kube-controller-manager run with ``kubeconfig`` (the local control plane's), found in
    /proc (other clusters may run on the machine)."""
    port = server.rsplit(":", 1)[-1].strip("/")
    found: dict[str, int] = {}
    etcd_port = ""
    procs = [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in procs:
        argv = _cmdline(pid)
        if argv and argv[0].endswith("kube-apiserver") and port in argv:
            found["kube-apiserver"] = int(pid)
            servers = argv[argv.index("--etcd-servers") + 1] if "--etcd-servers" in argv else ""
            etcd_port = servers.rsplit(":", 1)[-1]
    for pid in procs:
        argv = _cmdline(pid)
        if etcd_port and argv and argv[0].endswith("etcd") and any(
                a.endswith(f":{etcd_port}") for a in argv):
            found["etcd"] = int(pid)
        if kubeconfig and argv and argv[0].endswith("kube-controller-manager") and \
                kubeconfig in argv:
            found["kube-controller-manager"] = int(pid)
    return found


class PeakSampler:
    """VmHWM of a process and its descendants (helm-engine), sampled every 50 ms; the
    sum of each process's peak (processes that peaked apart are counted as if together,
    so it errs high)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.05):
            self.sample()

    def sample(self) -> None:
        pending = [self.pid]
        while pending:
            pid = pending.pop()
            self.peaks[pid] = max(self.peaks.get(pid, 0), _status_kib(pid, "VmHWM"))
            pending += _children(pid)

    def peak_mib(self) -> float:
        self.sample()
        return sum(self.peaks.values()) / 1024

    def own_peak_mib(self) -> float:
        return self.peaks.get(self.pid, 0) / 1024

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


# the cluster's own controllers' and source-controller's requests, told apart by resource
_OTHERS = {"replicasets", "endpointslices", "endpoints", "events", "pods", "leases",
           "nodes", "ocirepositories", "helmrepositories", "controllerrevisions",
           "serviceaccounts", "tokenreviews", "subjectaccessreviews"}


def _attribute(labels: dict[str, str]) -> str:
    resource, sub = labels.get("resource", ""), labels.get("subresource", "")
    if labels.get("verb") in ("WATCH", "WATCHLIST", "CONNECT") or not resource:
        return "other"
    if resource in _OTHERS or (sub == "status" and resource != "helmreleases"):
        return "cluster"
    return "client"


def api_requests(kube: Any) -> Counter[str]:
    """apiserver_request_total summed by attribution (client, cluster, other) and verb."""
    answer = kube.transport.request("GET", "/metrics", headers={"Accept": "text/plain"})
    counts: Counter[str] = Counter()
    for line in answer.body.decode().splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        head, _, value = line.rpartition(" ")
        labels = dict(part.split("=", 1) for part in
                      head[len("apiserver_request_total{"):-1].split(",") if "=" in part)
        labels = {k: v.strip('"') for k, v in labels.items()}
        who = _attribute(labels)
        counts[who] += int(float(value))
        what = labels.get("resource", "") + (f"/{labels['subresource']}"
                                             if labels.get("subresource") else "")
        counts[f"{who} {labels.get('verb')} {what}"] += int(float(value))
    return counts


@contextlib.contextmanager
def measured(bench: Bench, result: Result) -> Iterator[None]:
    """The API requests and the control plane's CPU seconds while the block runs."""
    before = api_requests(bench.kube)
    cpu = {name: _stat_cpu(pid) for name, pid in bench.cluster_pids.items()}
    try:
        yield
    finally:
        after = api_requests(bench.kube)
        result.requests = after - before
        result.cpu.update({name: _stat_cpu(pid) - cpu[name]
                           for name, pid in bench.cluster_pids.items()})


# ----------------------------------------------------------------------- the bench
class Bench:
    def __init__(self, kubeconfig: str, workdir: Path, smoke: bool) -> None:
        from pyhelm.kube.client import connect
        from pyhelm.testing.peers import helm_binary, helm_env, kubectl_binary

        self.kubeconfig, self.workdir, self.smoke = kubeconfig, workdir, smoke
        self.kube = connect(kubeconfig=kubeconfig)
        self.helm = str(helm_binary())
        self.kubectl = str(kubectl_binary())
        script = Path(sys.executable).parent / "pyhelm"
        self.pyhelm = [str(script)] if script.exists() else [sys.executable, "-m", "pyhelm"]
        self.env = helm_env(workdir / "home", KUBECONFIG=kubeconfig)
        self.tag = str(os.getpid())
        self.cluster_pids = cluster_pids(self.kube.server, kubeconfig)
        self.registry = ""
        self.package = Path()
        self.namespaces: list[str] = []
        self.wait = True  # False: no --wait, and HelmReleases with disableWait
        self.idle_seconds = IDLE_SECONDS  # the idle row's window, per drift detection mode
        self.idle_interval = IDLE_INTERVAL  # the idle row's HelmReleases' spec.interval

    @property
    def suffix(self) -> str:
        return "" if self.wait else ", no wait"

    def hr_spec(self) -> dict[str, Any]:
        """What the HelmReleases add to their spec (disableWait for --no-wait)."""
        if self.wait:
            return {}
        return {"install": {"disableWait": True}, "upgrade": {"disableWait": True}}

    def ns(self, name: str) -> str:
        return f"cb-{name}-{self.tag}"

    def run(self, *argv: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(list(argv), env=env or self.env, capture_output=True,
                              text=True, check=False, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
        return done.stdout

    def prepare(self, stack: contextlib.ExitStack) -> None:
        """The chart, pushed to a registry, source-controller and the HelmRelease CRD."""
        import yaml

        from pyhelm.testing.registry import running_registry
        from pyhelm.testing.source_controller import running_source_controller

        chart = self.workdir / "podinfo"
        for name, text in CHART.items():
            (chart / name).parent.mkdir(parents=True, exist_ok=True)
            (chart / name).write_text(text)
        self.run(*self.pyhelm, "package", str(chart), "-d", str(self.workdir))
        self.package = self.workdir / "podinfo-0.1.0.tgz"
        self.registry = stack.enter_context(running_registry(self.workdir / "registry"))
        stack.enter_context(running_source_controller(self.kubeconfig,
                                                      self.workdir / "source"))
        self.run(*self.pyhelm, "push", str(self.package), f"oci://{self.registry}/charts")
        self.kube.apply(yaml.safe_load(CRD.read_text()), field_manager="pyhelm-bench",
                        force=True)
        self.run(self.kubectl, "wait", "--for=condition=Established", "--timeout=60s",
                 "crd/helmreleases.helm.toolkit.fluxcd.io")

    def namespace(self, name: str) -> None:
        """A namespace of this run (deleted at the end of the run, once nothing is
        measured: its deletion loads the cluster)."""
        self.namespaces.append(name)
        self.kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                        field_manager="pyhelm-bench")

    def sourced_namespace(self, name: str) -> str:
        """A namespace of this run (``ns(name)``) with the OCIRepository ``podinfo``."""
        namespace = self.ns(name)
        self.namespace(namespace)
        self.source(namespace)
        return namespace

    def source(self, namespace: str) -> None:
        from pyhelm.testing.source_controller import oci_repository, wait_for_artifact

        self.kube.apply(oci_repository("podinfo", namespace,
                                       f"oci://{self.registry}/charts/podinfo", "0.1.0",
                                       interval="60m"), field_manager="pyhelm-bench")
        wait_for_artifact(self.kube, "OCIRepository", "podinfo", namespace)

    def drop(self, namespace: str) -> None:
        """Delete a namespace of this run, without waiting; the finalizers of its
        HelmReleases and OCIRepositories are removed first (no controller is left to act
        on them)."""
        from pyhelm.errors import KubeNotFoundError
        from pyhelm.testing.source_controller import SOURCE_API

        held = [(api, kind, o["metadata"]["name"])
                for api, kind in ((HR_API, "HelmRelease"), (SOURCE_API, "OCIRepository"))
                for o in self.kube.list(api, kind, namespace)]

        def release(what: tuple[str, str, str]) -> None:
            api, kind, name = what
            path, _ = self.kube._path(api, kind, namespace, name)
            with contextlib.suppress(KubeNotFoundError):
                self.kube._request("PATCH", path, name, body={"metadata": {
                    "finalizers": None}}, content_type="application/merge-patch+json")

        with ThreadPoolExecutor(APPLY_THREADS) as pool:
            list(pool.map(release, held))
        with contextlib.suppress(KubeNotFoundError):
            self.kube.delete("v1", "Namespace", namespace)

    def settle(self, timeout: float = 600.0) -> None:
        """Wait until this run's namespaces are gone: their deletion keeps the cluster's
        controllers busy, which would slow whatever runs next (another run, a test)."""
        from pyhelm.errors import KubeNotFoundError

        deadline = time.monotonic() + timeout
        for namespace in self.namespaces:
            while time.monotonic() < deadline:
                try:
                    self.kube.get("v1", "Namespace", namespace)
                except KubeNotFoundError:
                    break
                time.sleep(1.0)


# ------------------------------------------------------------------- controller rows
def helmrelease(name: str, namespace: str, message: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": HR_API, "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"interval": "60m", "timeout": "5m",
                     "chartRef": {"kind": "OCIRepository", "name": "podinfo"},
                     "values": {"message": message}, **spec}}


class Watch:
    """A watch of one kind in a namespace, each event handed to ``_see`` with the
    monotonic time it arrived (listed again when the watch expires)."""

    api_version, kind = HR_API, "HelmRelease"

    def __init__(self, bench: Bench, namespace: str) -> None:
        from pyhelm.kube.client import connect

        self.kube = connect(kubeconfig=bench.kubeconfig)
        self.namespace = namespace
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.synced = threading.Event()  # the first list was seen
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from pyhelm.errors import PyhelmError

        version = ""
        while not self.stopping.is_set():
            try:
                if not version:
                    items, version = self.kube.list_with_version(self.api_version, self.kind,
                                                                 self.namespace)
                    for item in items:
                        self._see("ADDED", item)
                    self.synced.set()
                for event in self.kube.watch(self.api_version, self.kind, self.namespace,
                                             resource_version=version, timeout_seconds=30):
                    version = str(event.object["metadata"].get("resourceVersion") or version)
                    self._see(event.type, event.object)
                    if self.stopping.is_set():
                        return
            except PyhelmError:
                version = ""  # expired: list again
                time.sleep(0.2)

    def _see(self, event: str, obj: dict[str, Any]) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.kube.close()


class ReadyWatch(Watch):
    """When each HelmRelease was first seen Ready=True at a generation."""

    def __init__(self, bench: Bench, namespace: str) -> None:
        self.ready: dict[tuple[str, int], float] = {}
        self.failed: dict[str, str] = {}
        super().__init__(bench, namespace)

    def _see(self, event: str, obj: dict[str, Any]) -> None:
        now = time.monotonic()
        status = obj.get("status") or {}
        name = obj["metadata"]["name"]
        for condition in status.get("conditions") or []:
            if condition.get("type") != "Ready":
                continue
            with self.cond:
                if condition.get("status") == "True":
                    key = (name, int(status.get("observedGeneration") or 0))
                    self.ready.setdefault(key, now)
                    self.failed.pop(name, None)
                    self.cond.notify_all()
                elif condition.get("reason") not in (None, "Progressing"):
                    self.failed[name] = f"{condition.get('reason')}: {condition.get('message')}"

    def wait(self, names: list[str], generation: int, timeout: float) -> float:
        """The monotonic time the last of ``names`` was Ready at ``generation``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                missing = [n for n in names if (n, generation) not in self.ready]
                if not missing:
                    return max(self.ready[(n, generation)] for n in names)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(
                        f"{len(missing)} of {len(names)} HelmReleases not Ready at generation "
                        f"{generation} after {timeout:.0f}s, e.g. {missing[:3]}; failures: "
                        f"{dict(list(self.failed.items())[:3])}")
                self.cond.wait(min(left, 1.0))


class RestoreWatch(Watch):
    """When each of ``targets`` (ConfigMaps) was seen drifted (deleted, or another
    ``message``) and then as the release has it again."""

    api_version, kind = "v1", "ConfigMap"

    def __init__(self, bench: Bench, namespace: str, targets: set[str], message: str) -> None:
        self.targets, self.message = targets, message
        self.drifted: set[str] = set()
        self.restored: dict[str, float] = {}
        super().__init__(bench, namespace)

    def _see(self, event: str, obj: dict[str, Any]) -> None:
        now = time.monotonic()
        name = obj["metadata"]["name"]
        if name not in self.targets or name in self.restored:
            return
        right = event != "DELETED" and (obj.get("data") or {}).get("message") == self.message
        with self.cond:
            if not right:
                self.drifted.add(name)
            elif name in self.drifted:
                self.restored[name] = now
                self.cond.notify_all()

    def wait(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.restored) < len(self.targets):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = sorted(self.targets - set(self.restored))
                    raise RuntimeError(f"{len(missing)} of {len(self.targets)} drifted "
                                       f"objects not restored after {timeout:.0f}s, e.g. "
                                       f"{missing[:3]}")
                self.cond.wait(min(left, 1.0))
            return max(self.restored.values())


def apply_all(bench: Bench, objects: list[dict[str, Any]]) -> dict[str, float]:
    """Server-side apply each object from a thread pool; when each apply was answered."""
    answered: dict[str, float] = {}

    def apply(obj: dict[str, Any]) -> None:
        from pyhelm.errors import KubeUnreachableError

        for attempt in range(4):  # an apply is idempotent: sent again when no answer came
            try:
                bench.kube.apply(obj, field_manager="pyhelm-bench", force=True)
                break
            except KubeUnreachableError:
                if attempt == 3:
                    raise
                time.sleep(0.5)
        answered[obj["metadata"]["name"]] = time.monotonic()

    with ThreadPoolExecutor(APPLY_THREADS) as pool:
        list(pool.map(apply, objects))
    return answered


def client_requests(metrics: str) -> int | None:
    """The sum of the controller's ``rest_client_requests_total`` (its own API requests,
    as client-go counts them); None when it does not serve that counter."""
    try:
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    counts = [int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
              if line.startswith("rest_client_requests_total{")]
    return sum(counts) if counts else None


@contextlib.contextmanager
def running_controller(bench: Bench, namespace: str, concurrent: int,
                       extra: tuple[str, ...] = (), label: str = ""
                       ) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``pyhelm controller`` watching ``namespace`` (``extra``: more flags), ready on its
    /readyz (a standby is ready too); its process and metrics address."""
    from pyhelm.testing.registry import free_port

    health, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    log = bench.workdir / f"controller-{namespace}{label}.log"
    env = {**bench.env, "RUNTIME_NAMESPACE": namespace, "PYHELM_COMMAND_SERVER": "0",
           "PYHELM_KUSTOMIZE": bench.kubectl}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*bench.pyhelm, "controller", "--watch-all-namespaces=false",
             "--concurrent", str(concurrent), "--health-addr", health,
             "--metrics-addr", metrics, *extra], env=env, stdout=out,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://{health}/readyz", timeout=1).close()
                break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the controller did not start: "
                                       + log.read_text(errors="replace")[-2000:]) from None
                time.sleep(0.1)
        yield process, metrics
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def release_names(size: int) -> list[str]:
    """The HelmReleases of a row of ``size``."""
    return [f"rel-{i:04d}" for i in range(size)]


def controller_row(concurrent: int) -> Row:
    def run(bench: Bench, size: int) -> list[Result]:
        namespace = bench.sourced_namespace(f"ctl{concurrent}-{size}")
        names = release_names(size)
        timeout = 60.0 + size * 2.0
        install = Result(f"controller --concurrent {concurrent}: install{bench.suffix}",
                         size, 0.0)
        upgrade = Result(f"controller --concurrent {concurrent}: upgrade (a value of each)"
                         f"{bench.suffix}", size, 0.0)
        watch = ReadyWatch(bench, namespace)
        try:
            with running_controller(bench, namespace, concurrent) as (process, metrics):
                sampler = PeakSampler(process.pid)
                try:
                    for result, generation, message in ((install, 1, "one"),
                                                        (upgrade, 2, "two")):
                        with measured(bench, result):
                            cpu = _stat_cpu(process.pid)
                            own = client_requests(metrics)
                            started = time.monotonic()
                            answered = apply_all(bench, [helmrelease(n, namespace, message,
                                                                     **bench.hr_spec())
                                                         for n in names])
                            last = watch.wait(names, generation, timeout)
                            result.seconds = last - started
                            result.latencies = [watch.ready[(n, generation)] - answered[n]
                                                for n in names]
                            result.cpu["controller"] = _stat_cpu(process.pid) - cpu
                            after = client_requests(metrics)
                            if own is not None and after is not None:
                                result.own_requests = after - own
                        result.peak_mib = sampler.peak_mib()
                finally:
                    sampler.stop()
        finally:
            watch.stop()
        return [install, upgrade]
    return Row(f"controller --concurrent {concurrent}", run)


DRIFTED = 100  # managed objects changed or deleted in the drift row


def drift_row(concurrent: int) -> Row:
    """HelmReleases with ``driftDetection.mode: enabled``, Ready; then the ConfigMaps of
    up to 100 of them drifted at once, half changed (another ``message``, as kubectl edit
    would) and half deleted: time from the first change to the last restored, seen by a
    watch of the ConfigMaps; per object, from its change's answer to its restoring."""
    def run(bench: Bench, size: int) -> list[Result]:
        from pyhelm.errors import KubeNotFoundError

        namespace = bench.sourced_namespace(f"drift{concurrent}-{size}")
        names = release_names(size)
        targets = [f"{n}-podinfo" for n in names[:min(size, DRIFTED)]]
        result = Result(f"controller --concurrent {concurrent}: drift, {len(targets)} "
                        f"ConfigMaps changed or deleted{bench.suffix}", size, 0.0)
        watch = ReadyWatch(bench, namespace)
        restore = RestoreWatch(bench, namespace, set(targets), "one")
        try:
            with running_controller(bench, namespace, concurrent) as (process, _):
                sampler = PeakSampler(process.pid)
                try:
                    apply_all(bench, [helmrelease(n, namespace, "one",
                                                  driftDetection={"mode": "enabled"},
                                                  **bench.hr_spec())
                                      for n in names])
                    watch.wait(names, 1, 60.0 + size * 2.0)
                    acted: dict[str, float] = {}

                    def drift(index_name: tuple[int, str]) -> None:
                        index, name = index_name
                        path, _ = bench.kube._path("v1", "ConfigMap", namespace, name)
                        with contextlib.suppress(KubeNotFoundError):
                            if index % 2:
                                bench.kube.delete("v1", "ConfigMap", name, namespace)
                            else:
                                bench.kube._request(
                                    "PATCH", path, name,
                                    body={"data": {"message": "drifted"}},
                                    content_type="application/merge-patch+json")
                        acted[name] = time.monotonic()

                    with measured(bench, result):
                        cpu = _stat_cpu(process.pid)
                        started = time.monotonic()
                        with ThreadPoolExecutor(APPLY_THREADS) as pool:
                            list(pool.map(drift, enumerate(targets)))
                        result.seconds = restore.wait(120.0 + len(targets)) - started
                        result.latencies = [restore.restored[t] - acted[t] for t in targets]
                        result.cpu["controller"] = _stat_cpu(process.pid) - cpu
                    result.peak_mib = sampler.peak_mib()
                finally:
                    sampler.stop()
        finally:
            watch.stop()
            restore.stop()
        return [result]
    return Row(f"controller --concurrent {concurrent}: drift", run)


IDLE_MODES = ("enabled", "warn")  # driftDetection.mode of the idle row, one window each
PYHELM_MANAGERS = frozenset({"helm", "pyhelm-controller"})  # pyhelm's field managers
SETTLE = 3.0  # seconds between the last Ready (and an empty work queue) and an idle window


def _field_times(meta: dict[str, Any]) -> dict[str, str]:
    """When each field manager (``manager[/subresource]``) last wrote the object."""
    return {str(entry.get("manager")) + (f"/{entry['subresource']}"
                                         if entry.get("subresource") else ""):
            str(entry.get("time") or "") for entry in meta.get("managedFields") or []}


class WriteWatch(Watch):
    """Writes to the objects ``targets`` of one kind (a new resourceVersion), counted while
    ``counting``: by pyhelm's field managers, a creation or a deletion in ``ours``
    (descriptions), by others (the cluster's controllers: status) in ``others``."""

    def __init__(self, bench: Bench, namespace: str, api_version: str, kind: str,
                 targets: set[str]) -> None:
        self.api_version, self.kind, self.targets = api_version, kind, targets
        self.last: dict[str, tuple[str, dict[str, str]]] = {}  # resourceVersion, writers
        self.counting = False
        self.ours: list[str] = []
        self.others: Counter[str] = Counter()
        super().__init__(bench, namespace)

    def _see(self, event: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        name = str(meta.get("name"))
        if name not in self.targets:
            return
        version, times = str(meta.get("resourceVersion") or ""), _field_times(meta)
        with self.cond:
            before = self.last.pop(name, None)
            if event != "DELETED":
                self.last[name] = (version, times)
            if not self.counting or (event != "DELETED" and before is not None
                                     and before[0] == version):
                return  # before the window, or seen again when the watch listed again
            if event == "DELETED" or before is None:
                self.ours.append(f"{self.kind}/{name} "
                                 f"{'deleted' if event == 'DELETED' else 'created'}")
                return
            writers = {m for m, t in times.items() if before[1].get(m) != t} or \
                {max(times, key=lambda m: times[m], default="?")}
            if writers & PYHELM_MANAGERS:
                self.ours.append(f"{self.kind}/{name} written by "
                                 f"{', '.join(sorted(writers))}")
            else:
                self.others[", ".join(sorted(writers))] += 1


def _seconds(duration: str) -> float:
    """A Go duration of the forms a HelmRelease's interval takes (``2m``, ``1h30m``)."""
    import re

    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ms|s|m|h)", duration))


def controller_metric(metrics: str, name: str) -> dict[str, float]:
    """The controller's samples of one metric, by their labels ('' without)."""
    try:
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    except (urllib.error.URLError, OSError):
        return {}
    found = {}
    for sample in text.splitlines():
        head, _, value = sample.rpartition(" ")
        if head == name or head.startswith(name + "{"):
            found[head[len(name):]] = float(value)
    return found


def controller_events(bench: Bench, namespace: str) -> dict[str, tuple[int, str, str]]:
    """The controller's Events in ``namespace``: name -> (count, reason, message)."""
    return {str(e["metadata"]["name"]): (int(e.get("count") or 1), str(e.get("reason")),
                                         f"{(e.get('involvedObject') or {}).get('name')}: "
                                         f"{e.get('message')}")
            for e in bench.kube.list("v1", "Event", namespace)
            if e.get("reportingComponent") == "pyhelm-controller"}


def release_records(bench: Bench, namespace: str) -> dict[str, str]:
    """The Helm release records (Secrets, owner=helm): name -> resourceVersion."""
    return {str(s["metadata"]["name"]): str(s["metadata"].get("resourceVersion"))
            for s in bench.kube.list_metadata("v1", "Secret", namespace,
                                              label_selector="owner=helm")}


def logged_steps(log: Path, offset: int, end: int, namespace: str
                 ) -> tuple[Counter[str], list[str], list[str], list[str]]:
    """What the controller logged from ``offset`` to ``end`` of its log: its steps on the
    HelmReleases of ``namespace`` by action and reason, those of any other action than
    ``unchanged``, its steps on other namespaces' HelmReleases (its drift watches see
    every namespace's objects), and the lines that are no step (a watch listing again)."""
    import json

    steps: Counter[str] = Counter()
    acted: list[str] = []
    foreign: list[str] = []
    other: list[str] = []
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read(end - offset).decode(errors="replace")
    text = text[:text.rfind("\n") + 1]  # a line being written at ``end`` is left out
    for entry in text.splitlines():
        try:
            record = json.loads(entry)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "action" not in record:
            other.append(entry[:300])
            continue
        what = (f"{record['action']} {record.get('reason')}: "
                f"{str(record.get('msg'))[:300]}")
        if (record.get("HelmRelease") or {}).get("namespace") != namespace:
            foreign.append(what)
            continue
        steps[f"{record['action']}/{record.get('reason')}"] += 1
        if record["action"] != "unchanged":
            acted.append(what)
    return steps, acted, foreign, other


def idle_row(concurrent: int) -> Row:
    """False positives of drift detection: N HelmReleases Ready with ``driftDetection.mode:
    enabled`` (then the same ones switched to ``warn``), drift-checked every
    ``bench.idle_interval``, and the cluster left alone for ``bench.idle_seconds``.
    Nothing changes, so the controller must report no drift (no DriftCorrected,
    DriftDetected or other Event, no step but ``unchanged`` in its log), make no new
    revision (release records unchanged) and write none of the managed objects (watched:
    a new resourceVersion whose managedFields name pyhelm's managers, a deletion or a
    creation), and take no step on another namespace's HelmRelease (its drift watches see
    every namespace, but it watches one); the row fails otherwise. Also measured while
    idle: the controller's CPU seconds and the API requests (by verb with ``--detail``)."""
    def run(bench: Bench, size: int) -> list[Result]:
        namespace = bench.sourced_namespace(f"idle{concurrent}-{size}")
        names = release_names(size)
        objects = {f"{n}-podinfo" for n in names}
        watch = ReadyWatch(bench, namespace)
        writes = [WriteWatch(bench, namespace, api, kind, objects)
                  for api, kind in (("v1", "ConfigMap"), ("apps/v1", "Deployment"),
                                    ("v1", "Service"))]
        log = bench.workdir / f"controller-{namespace}.log"
        results = []
        try:
            with running_controller(bench, namespace, concurrent) as (process, metrics):
                sampler = PeakSampler(process.pid)
                try:
                    for generation, mode in enumerate(IDLE_MODES, start=1):
                        apply_all(bench, [helmrelease(n, namespace, "one",
                                                      interval=bench.idle_interval,
                                                      driftDetection={"mode": mode},
                                                      **bench.hr_spec())
                                          for n in names])
                        watch.wait(names, generation, 60.0 + size * 2.0)
                        for each in writes:
                            if not each.synced.wait(60.0):
                                raise RuntimeError(f"the {each.kind} watch did not list")
                        deadline = time.monotonic() + 60.0
                        while controller_metric(metrics, "workqueue_depth").get(
                                '{name="helmrelease"}', 0.0) and time.monotonic() < deadline:
                            time.sleep(0.5)
                        time.sleep(SETTLE)
                        results.append(idle_window(bench, size, concurrent, mode, namespace,
                                                   process, metrics, log, writes))
                        results[-1].peak_mib = sampler.peak_mib()
                finally:
                    sampler.stop()
        finally:
            watch.stop()
            for each in writes:
                each.stop()
        return results
    return Row(f"controller --concurrent {concurrent}: idle", run)


def idle_window(bench: Bench, size: int, concurrent: int, mode: str, namespace: str,
                process: subprocess.Popen[bytes], metrics: str, log: Path,
                writes: list[WriteWatch]) -> Result:
    """One idle window of the idle row: what the controller did while nothing changed."""
    result = Result(f"controller --concurrent {concurrent}: idle {bench.idle_seconds:.0f} s, "
                    f"drift detection {mode}, interval {bench.idle_interval}{bench.suffix}",
                    size, 0.0)
    events, records = controller_events(bench, namespace), release_records(bench, namespace)
    offset = log.stat().st_size
    for each in writes:
        with each.cond:
            each.counting, each.ours, each.others = True, [], Counter()
    with measured(bench, result):
        cpu = _stat_cpu(process.pid)
        own = client_requests(metrics)
        by_method = controller_metric(metrics, "rest_client_requests_total")
        started = time.monotonic()
        time.sleep(bench.idle_seconds)
        result.seconds = time.monotonic() - started
        result.cpu["controller"] = _stat_cpu(process.pid) - cpu
        after = client_requests(metrics)
        if own is not None and after is not None:
            result.own_requests = after - own
        by_method_after = controller_metric(metrics, "rest_client_requests_total")
        end = log.stat().st_size
    # the controller's own requests by method and code, for --detail (the API server's
    # counts include whatever else runs on the cluster meanwhile)
    for labels, value in by_method_after.items():
        result.requests[f"own {labels}"] += int(value - by_method.get(labels, 0.0))
    for each in writes:
        with each.cond:
            each.counting = False
    time.sleep(1.0)  # an Event or record of a step at the window's end is written
    steps, acted, foreign, other = logged_steps(log, offset, end, namespace)
    new_events = {name: (count - events.get(name, (0, "", ""))[0], reason, message)
                  for name, (count, reason, message) in controller_events(
                      bench, namespace).items() if count > events.get(name, (0, "", ""))[0]}
    by_reason = Counter({reason: 0 for reason in ("DriftCorrected", "DriftDetected")})
    for count, reason, _ in new_events.values():
        by_reason[reason] += count
    now_records = release_records(bench, namespace)
    revisions = sorted(set(now_records) - set(records))
    rewritten = sorted(n for n in set(now_records) & set(records)
                       if now_records[n] != records[n])
    ours = [w for each in writes for w in each.ours]
    others: Counter[str] = sum((each.others for each in writes), Counter())
    reconciles = sum(steps.values())
    per_interval = reconciles / size / (result.seconds / _seconds(bench.idle_interval))
    for entry in (foreign + other)[:5]:
        print(f"  controller log while idle: {entry}", file=sys.stderr, flush=True)
    result.row += (f": {', '.join(f'{n} {r}' for r, n in sorted(by_reason.items()))} Events"
                   f", {len(revisions)} new revisions, {len(ours)} writes of the {3 * size} "
                   f"objects by pyhelm ({sum(others.values())} by others"
                   + "".join(f", {n} {who}" for who, n in others.most_common(3))
                   + f"); {reconciles} reconciles, each a drift check ({per_interval:.2f} "
                     "per release and interval)"
                   + (f"; {len(foreign)} steps on other namespaces' HelmReleases"
                      if foreign else "")
                   + (f"; {len(other)} other log lines" if other else ""))
    problems = []
    if new_events:
        problems.append(f"{sum(c for c, _, _ in new_events.values())} Events, e.g. "
                        + "; ".join(f"{reason} {message[:160]}"
                                    for _, reason, message in list(new_events.values())[:2]))
    if acted:
        problems.append(f"{len(acted)} steps other than unchanged, e.g. {acted[0][:160]}")
    if foreign:  # the controller watches one namespace: another's are not its to act on
        problems.append(f"{len(foreign)} steps on other namespaces' HelmReleases, e.g. "
                        f"{foreign[0][:160]}")
    if revisions or rewritten:
        problems.append(f"release records: {len(revisions)} new ({revisions[:5]}), "
                        f"{len(rewritten)} written ({rewritten[:5]})")
    if ours:
        problems.append(f"{len(ours)} writes by pyhelm: {'; '.join(ours[:5])}")
    if problems:
        result.failure = (f"{result.row.split(':', 1)[0]}, idle, {mode}: false positives: "
                          + " | ".join(problems))
    return result


# leader election as fast as a test needs, slower than a loaded machine's hiccups
FAILOVER_FLAGS = ("--enable-leader-election=true", "--leader-election-lease-duration=15s",
                  "--leader-election-renew-deadline=10s", "--leader-election-retry-period=2s")
PENDING = "owner=helm,status in (pending-install,pending-upgrade,pending-rollback)"


def _leads(metrics: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except (urllib.error.URLError, OSError):
        return False
    return any(line.startswith("leader_election_master_status{") and line.endswith(" 1")
               for line in text.splitlines())


def failover_row(concurrent: int) -> Row:
    """Two replicas with leader election on one Lease; N HelmReleases applied at once and
    the leader SIGKILLed once half of them are Ready: the time until the standby leads,
    the time to the last Ready, and the Helm records left pending at the end (goal: 0)."""
    def run(bench: Bench, size: int) -> list[Result]:
        namespace = bench.sourced_namespace(f"failover{concurrent}-{size}")
        names = release_names(size)
        result = Result(f"controller --concurrent {concurrent}, 2 replicas: leader "
                        f"SIGKILLed at {size // 2 or 1} Ready{bench.suffix}", size, 0.0)
        watch = ReadyWatch(bench, namespace)
        try:
            with running_controller(bench, namespace, concurrent, FAILOVER_FLAGS, "-a") as (
                    first, first_metrics), \
                    running_controller(bench, namespace, concurrent, FAILOVER_FLAGS, "-b") as (
                    second, second_metrics):
                deadline = time.monotonic() + 120
                while not (_leads(first_metrics) or _leads(second_metrics)):
                    if time.monotonic() > deadline:
                        raise RuntimeError("no replica took the Lease in 120 s")
                    time.sleep(0.2)
                leader, heir, heir_metrics = ((first, second, second_metrics)
                                              if _leads(first_metrics)
                                              else (second, first, first_metrics))
                with measured(bench, result):
                    started = time.monotonic()
                    answered = apply_all(bench, [helmrelease(n, namespace, "one",
                                                             **bench.hr_spec())
                                                 for n in names])
                    with watch.cond:
                        while sum(1 for (_, g) in watch.ready if g == 1) < max(1, size // 2):
                            watch.cond.wait(1.0)
                    leader.send_signal(signal.SIGKILL)
                    killed = time.monotonic()
                    while not _leads(heir_metrics):
                        if time.monotonic() - killed > 120:
                            raise RuntimeError("the standby did not lead within 120 s")
                        time.sleep(0.1)
                    led = time.monotonic() - killed
                    last = watch.wait(names, 1, 120.0 + size * 2.0)
                    result.seconds = last - started
                    result.latencies = [watch.ready[(n, 1)] - answered[n] for n in names]
                    result.cpu["controller"] = _stat_cpu(heir.pid)
                pending = bench.kube.list_metadata("v1", "Secret", namespace,
                                                   label_selector=PENDING)
                result.row += (f"; standby led {led:.1f} s after the kill; "
                               f"{len(pending)} pending after")
                if pending:
                    raise RuntimeError(f"{len(pending)} Helm records left pending after "
                                       "the failover")
        finally:
            watch.stop()
        return [result]
    return Row(f"controller --concurrent {concurrent}: failover", run)


HANGING = 50  # releases waiting for a pod no node can take, in the fairness row
UNSCHEDULABLE = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n"
                 "  template:\n    spec:\n      nodeSelector:\n"
                 "        pyhelm.bench/none: none\n")


def fairness_row(concurrent: int) -> Row:
    """50 HelmReleases hanging on their wait (one replica that no node can take: a
    kustomize patch adds a nodeSelector), then N others applied: the others' time to
    Ready, to compare with the install row of the same N."""
    def run(bench: Bench, size: int) -> list[Result]:
        namespace = bench.sourced_namespace(f"fair{concurrent}-{size}")
        hanging = min(HANGING, max(2, size))
        names = release_names(size)
        result = Result(f"controller --concurrent {concurrent}: install beside {hanging} "
                        f"releases hanging on their wait", size, 0.0)
        watch = ReadyWatch(bench, namespace)
        try:
            with running_controller(bench, namespace, concurrent) as (process, _):
                sampler = PeakSampler(process.pid)
                try:
                    apply_all(bench, [helmrelease(
                        f"hang-{i:03d}", namespace, "one", timeout="30m",
                        values={"message": "one", "replicaCount": 1},
                        postRenderers=[{"kustomize": {"patches": [{
                            "patch": UNSCHEDULABLE, "target": {"kind": "Deployment"}}]}}])
                        for i in range(hanging)])
                    deadline = time.monotonic() + 60.0 + hanging * 2.0
                    while len(bench.kube.list_metadata(
                            "v1", "Secret", namespace, label_selector=PENDING)) < hanging:
                        if time.monotonic() > deadline:
                            raise RuntimeError("the hanging releases did not all start")
                        time.sleep(0.5)
                    with measured(bench, result):
                        cpu = _stat_cpu(process.pid)
                        started = time.monotonic()
                        answered = apply_all(bench, [helmrelease(n, namespace, "one",
                                                                 **bench.hr_spec())
                                                     for n in names])
                        result.seconds = watch.wait(names, 1, 60.0 + size * 2.0) - started
                        result.latencies = [watch.ready[(n, 1)] - answered[n] for n in names]
                        result.cpu["controller"] = _stat_cpu(process.pid) - cpu
                    result.peak_mib = sampler.peak_mib()
                finally:
                    sampler.stop()
        finally:
            watch.stop()
        return [result]
    return Row(f"controller --concurrent {concurrent}: fairness", run)


# --------------------------------------------------------------------- baseline rows
def baseline_row(tool: str) -> Row:
    """``upgrade --install --wait`` of every release, BASELINE_PARALLEL at a time, then
    again with one value changed."""
    label = {"helm": "Helm 4.3.1", "pyhelm": "pyhelm CLI, command server on",
             "pyhelm-own": "pyhelm CLI, command server off"}[tool]

    def run(bench: Bench, size: int) -> list[Result]:
        namespace = bench.ns(f"{tool}-{size}")
        bench.namespace(namespace)
        env = dict(bench.env)
        command = [bench.helm] if tool == "helm" else list(bench.pyhelm)
        if tool == "pyhelm-own":
            env["PYHELM_COMMAND_SERVER"] = "0"
        elif tool == "pyhelm":  # the server is up before the first timed command
            bench.run(*command, "version", env=env)
            time.sleep(1.0)
        results = []
        for verb, message in (("install", "one"), ("upgrade (a value of each)", "two")):
            result = Result(f"{label}: upgrade --install, {BASELINE_PARALLEL} at a time: "
                            f"{verb}{bench.suffix}", size, 0.0)

            def one(index: int, message: str = message) -> float:
                started = time.monotonic()
                done = subprocess.run(
                    [*command, "upgrade", "--install", f"rel-{index:04d}", str(bench.package),
                     "-n", namespace, *(["--wait"] if bench.wait else []),
                     "--timeout", "5m",
                     "--set", f"message={message}"],
                    env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise RuntimeError(f"{tool} rel-{index:04d}: {done.stderr}")
                return time.monotonic() - started

            with measured(bench, result):
                before = os.times()
                started = time.monotonic()
                with ThreadPoolExecutor(BASELINE_PARALLEL) as pool:
                    result.latencies = list(pool.map(one, range(size)))
                result.seconds = time.monotonic() - started
                after = os.times()
                result.cpu["clients"] = ((after.children_user - before.children_user)
                                         + (after.children_system - before.children_system))
            results.append(result)
        return results
    return Row(label, run)


def rows(concurrency: list[int]) -> list[Row]:
    return [*(controller_row(c) for c in concurrency), drift_row(max(concurrency)),
            idle_row(max(concurrency)), failover_row(max(concurrency)),
            fairness_row(max(concurrency)),
            baseline_row("helm"), baseline_row("pyhelm"), baseline_row("pyhelm-own")]


# ------------------------------------------------------------------------- report
def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def line(result: Result, baseline: Result | None, markdown: bool) -> str:
    p50 = f"{statistics.median(result.latencies):.2f} s" if result.latencies else "-"
    p95 = f"{percentile(result.latencies, 0.95):.2f} s" if result.latencies else "-"
    ratio = f"{baseline.seconds / result.seconds:.1f}x" if baseline else "-"
    peak = f"{result.peak_mib:.0f} MiB" if result.peak_mib is not None else "-"
    requests = (f"{result.per_release('client'):.1f} (+{result.per_release('cluster'):.1f})"
                + (f", own {result.own_requests / result.size:.1f}"
                   if result.own_requests is not None else ""))
    cpu = " / ".join(f"{result.cpu.get(k, 0.0):.1f}" for k in
                     ("kube-apiserver", "etcd", "kube-controller-manager",
                      "controller" if "controller" in result.cpu else "clients"))
    cells = [result.row, str(result.size), f"{result.seconds:.1f} s", p50, p95, ratio, peak,
             requests, cpu]
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return "  ".join(cells)


HEADER = ("| row | N | time to last Ready | p50 per release | p95 per release | "
          "speed-up vs Helm | peak RSS | API requests per release (+ cluster's) | "
          "CPU s: apiserver / etcd / controller-manager / controller or clients |\n"
          "|---|---|---|---|---|---|---|---|---|")


def report(results: list[Result], markdown: bool) -> str:
    helm = {(r.size, r.row.rsplit(": ", 1)[-1]): r for r in results
            if r.row.startswith("Helm")}
    out = [HEADER] if markdown else []
    for result in results:
        baseline = helm.get((result.size, result.row.rsplit(": ", 1)[-1]))
        out.append(line(result, baseline if baseline is not result else None, markdown))
    return "\n".join(out)


@contextlib.contextmanager
def cluster_kubeconfig() -> Iterator[str]:
    if os.environ.get("KUBECONFIG"):
        yield os.environ["KUBECONFIG"]
        return
    from pyhelm.testing.cluster import LocalCluster

    with LocalCluster.start() as cluster:
        yield str(cluster.kubeconfig_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000",
                        help="numbers of HelmReleases, comma-separated")
    parser.add_argument("--concurrent", default="4,10",
                        help="the controller's --concurrent values, comma-separated")
    parser.add_argument("--rows", default="",
                        help="only rows whose name contains one of these words (comma-"
                             "separated: controller, Helm, pyhelm)")
    parser.add_argument("--skip", default="",
                        help="leave out rows whose name contains one of these words")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--no-wait", action="store_true",
                        help="releases without waiting for their objects (the CLIs without "
                             "--wait, HelmReleases with install/upgrade.disableWait)")
    parser.add_argument("--detail", action="store_true",
                        help="print each row's API requests by verb and resource")
    parser.add_argument("--idle-seconds", type=float, default=None,
                        help=f"the idle row's window per drift detection mode (default "
                             f"{IDLE_SECONDS:.0f}, {SMOKE_IDLE_SECONDS:.0f} with --smoke)")
    parser.add_argument("--idle-interval", default=None,
                        help=f"the idle row's HelmReleases' spec.interval, how often each is "
                             f"drift-checked (default {IDLE_INTERVAL}, {SMOKE_IDLE_INTERVAL} "
                             "with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="3 releases, --concurrent 4: checks the benchmark, not speed")
    args = parser.parse_args(argv)
    sizes = [3] if args.smoke else [int(s) for s in args.sizes.split(",") if s]
    concurrency = [4] if args.smoke else [int(c) for c in args.concurrent.split(",") if c]
    wanted = [w for w in args.rows.split(",") if w]
    skipped = [w for w in args.skip.split(",") if w]
    chosen = [r for r in rows(concurrency) if (not wanted or any(w in r.name for w in wanted))
              and not any(w in r.name for w in skipped)]
    started = datetime.now(UTC)
    load = os.getloadavg()
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        kubeconfig = stack.enter_context(cluster_kubeconfig())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cbench-")))
        bench = Bench(kubeconfig, workdir, args.smoke)
        bench.wait = not args.no_wait
        bench.idle_seconds = args.idle_seconds if args.idle_seconds is not None else (
            SMOKE_IDLE_SECONDS if args.smoke else IDLE_SECONDS)
        bench.idle_interval = args.idle_interval or (
            SMOKE_IDLE_INTERVAL if args.smoke else IDLE_INTERVAL)
        stack.callback(bench.kube.close)
        stack.callback(bench.settle)
        stack.callback(lambda: [bench.drop(n) for n in bench.namespaces])
        bench.prepare(stack)
        for size in sizes:
            for row in chosen:
                done = row.run(bench, size)
                results += done
                for result in done:
                    print(line(result, None, markdown=False), flush=True)
                    if result.failure:
                        print(f"FAILED: {result.failure}", flush=True)
                    if args.detail:
                        for what, count in sorted(result.requests.items()):
                            if " " in what and count:
                                print(f"    {count / size:7.2f} per release  {what}")
    end_load = os.getloadavg()
    print(f"run {started:%Y-%m-%d %H:%M} UTC on {machine()}; load average "
          f"{load[0]:.1f} at the start, {end_load[0]:.1f} at the end")
    print(report(results, markdown=args.markdown))
    failed = [r.failure for r in results if r.failure]
    for failure in failed:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
