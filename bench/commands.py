"""Every command of the speed table, pyhelm against Helm 4 in the same run.

    python bench/commands.py [--runs 5] [--only ROW ...] [--markdown] [--smoke]
                             [--readme README.md]

Whole processes (the ``pyhelm`` console script, Helm's binary), run in turns so machine
noise hits both alike; medians, min-max, the ratio pyhelm/Helm, the goal and each
tool's peak memory: the peak of the summed RSS of the command and the processes it
starts (helm-engine), or of the client, the server's runner and its children for a
served command, sampled from /proc, and never below the largest single process's peak
RSS (``wait4``'s, in a small process that forks the command, so that this script's own
memory does not count). Rendering rows use ``bench/charts``:
pyhelm's Jinja2 chart against its Go-template twin in Helm, and the twin in both tools
(pyhelm then renders with Helm's engine). Cluster rows run on ``$KUBECONFIG`` when set,
else on a local control plane started here; releases are seeded by pyhelm (install,
or written straight into the release store for the long histories), and each tool
reads the same releases. ``--smoke`` runs every row once at tiny sizes: it checks the
benchmark itself (both tools succeed), not speed; ``make test`` runs it. The
``floor`` rows time a Python importing only the libraries a verb needs, against Helm's
whole command: the start-up no change to pyhelm's own code can go below; the vegeta
``floor`` row sends an install's server-side applies from a Go client, against Helm's
install: the cluster's part, which no client can go below. The bench
starts pyhelm's command server first, as a user's first command does, so the other rows
are the commands that follow; the "command server off" rows run each command in a
process of its own (a CI job, a container, a user's first command). Each goal row has
two goals: the ratio, and a peak RSS no higher than Helm's. ``--readme``
rewrites the README's table (between its ``bench/commands.py`` markers) from this run,
with the machine it ran on.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHARTS = ROOT / "bench" / "charts"
JINJA_CHART = CHARTS / "microservices"
HELM_CHART = CHARTS / "microservices-helm"

from pyhelm.helm_reference import HELM_VERSION  # noqa: E402


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    peak_kib: int = 0

    def add(self, seconds: float, peak_kib: int) -> None:
        self.seconds.append(seconds)
        self.peak_kib = max(self.peak_kib, peak_kib)


@dataclass(frozen=True)
class Row:
    name: str
    goal: float | None  # the ratio to reach: pyhelm / Helm at most this (None: a reference)
    cluster: bool
    run: Callable[[Bench], tuple[Sample, Sample]]


# Linux charges a child's peak RSS with the pages it held before exec, which are its
# forking parent's (this script, ~40 MiB once it has seeded releases). Each command runs
# under a small Python that forks it, times it and reads its peak RSS from wait4.
_MEASURE = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{elapsed} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


class NotServed(Exception):
    """The command server did not take the command: the client ran it itself."""

    def __init__(self, seconds: float, peak_kib: int) -> None:
        super().__init__(seconds, peak_kib)
        self.seconds, self.peak_kib = seconds, peak_kib


def run_process(command: list[str], env: dict[str, str], served_by: int | None = None
                ) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command; raises when it fails. With
    ``served_by`` (the command server's pid), the processes the server runs for it count
    too, and NotServed is raised when it ran none."""
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result"
        measure = subprocess.Popen([sys.executable, "-S", "-c", _MEASURE, str(result),
                                    *command], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        roots = (measure.pid,) if served_by is None else (measure.pid, served_by)
        with TreePeak(roots) as tree:
            _, stderr = measure.communicate()
        if not result.exists():
            raise RuntimeError(f"could not run {command[0]}: "
                               f"{stderr.decode(errors='replace')}")
        elapsed, peak, code = result.read_text().split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(command)} exited {code}: "
                           f"{stderr.decode(errors='replace')}")
    peak_kib = max(int(peak), tree.peak_kib)
    if served_by is not None and served_by not in tree.parents:
        raise NotServed(float(elapsed), peak_kib)
    return float(elapsed), peak_kib


class TreePeak:
    """While a command runs, the peak of the summed RSS of every process below the
    ``roots``: VmRSS read from /proc every 2 ms. A peak shorter than that can be missed,
    so the caller keeps ``wait4``'s peak of the largest process as a floor."""

    def __init__(self, roots: tuple[int, ...]) -> None:
        self.roots = roots
        self.peak_kib = 0
        self.parents: set[int] = set()  # roots that had a process below them
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample_until_done, daemon=True)

    def __enter__(self) -> TreePeak:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _sample_until_done(self) -> None:
        while not self.done.wait(0.002):
            total = 0
            for root in self.roots:
                pending = _children(str(root))
                if pending:
                    self.parents.add(root)
                while pending:
                    pid = pending.pop()
                    total += _status_kib(pid, "VmRSS")
                    pending += _children(pid)
            self.peak_kib = max(self.peak_kib, total)


def _status_kib(pid: str, field: str) -> int:
    """A memory field of /proc/PID/status (VmHWM, VmRSS) in KiB; 0 once it has exited."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _children(pid: str) -> list[str]:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return []


class Bench:
    def __init__(self, runs: int, smoke: bool, kubeconfig: str | None) -> None:
        from pyhelm.testing.peers import helm_binary

        self.runs = 1 if smoke else runs
        self.smoke = smoke
        self.kubeconfig = kubeconfig
        self.helm = str(helm_binary())
        script = Path(sys.executable).parent / "pyhelm"
        self.pyhelm = [str(script)] if script.exists() else [sys.executable, "-m", "pyhelm"]
        self.env = dict(os.environ, **({"KUBECONFIG": kubeconfig} if kubeconfig else {}))
        self.seeded: set[str] = set()
        self.tag = f"{os.getpid()}"  # namespaces of this run: reruns never collide
        self.server_socket = self.start_command_server()

    def start_command_server(self) -> str | None:
        """Start pyhelm's command server the way a user's first command does, and wait
        until it serves: every row then measures what a user's next commands take (the
        "command server off" rows measure a process of its own)."""
        # asked of a fresh interpreter: this script's search path (bench/, the checkout)
        # would give another key than the console script's
        done = subprocess.run(
            [sys.executable, "-c", "from pyhelm.cli import command_client as c\n"
             "print(c.server_path() if c.enabled(['version']) else '')"],
            env=self.env, capture_output=True, text=True, check=True)
        path = done.stdout.strip()
        if not path:
            return None
        self.pyhelm_ok("version")
        deadline = time.monotonic() + 60
        while not self.serving(path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"pyhelm's command server did not start at {path}")
            time.sleep(0.1)
        return path

    @staticmethod
    def serving(path: str) -> bool:
        import socket

        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(path)
            except OSError:
                return False
        return True

    def measure(self, command: list[str], *, repeatable: bool = True) -> tuple[float, int]:
        """``run_process``; for a command the server serves, its peak RSS is that of
        the client, the runner and the runner's children together (the runner's counts
        the pages it shares with the server).

        When no runner of the watched server took the command, pyhelm's files changed
        since the server started (a checkout others work in): the client ran the command
        itself under a new key and started that key's server. A ``repeatable`` command
        is measured again once that server serves; an install keeps its sample (a
        process of its own) and the next one is served."""
        server = self.server_pid()
        if (server is None or command[:len(self.pyhelm)] != self.pyhelm
                or self.env.get("PYHELM_COMMAND_SERVER") == "0"):
            return run_process(command, self.env)
        for _ in range(3):
            try:
                return run_process(command, self.env, served_by=server)
            except NotServed as alone:
                self.server_socket = self.start_command_server()
                server = self.server_pid()
                if server is None or not repeatable:
                    return alone.seconds, alone.peak_kib
        raise RuntimeError(f"pyhelm's command server did not take {' '.join(command)}")

    def server_pid(self) -> int | None:
        if self.server_socket is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            return int(Path(self.server_socket + ".lock").read_text())
        return None

    def server_resident_mib(self) -> float | None:
        """The command server's resident memory (shared by the commands it forks)."""
        pid = self.server_pid()
        resident_kib = 0 if pid is None else _status_kib(str(pid), "VmRSS")
        return resident_kib / 1024 if resident_kib else None

    @contextlib.contextmanager
    def own_process(self) -> Iterator[None]:
        """Run pyhelm without the command server: each command a process of its own."""
        saved = self.env
        self.env = {**saved, "PYHELM_COMMAND_SERVER": "0"}
        try:
            yield
        finally:
            self.env = saved

    def ns(self, name: str) -> str:
        return f"{name}-{self.tag}"

    def size(self, real: int, smoke: int) -> int:
        return smoke if self.smoke else real

    def alternate(self, ours: list[str], theirs: list[str]) -> tuple[Sample, Sample]:
        """Both whole command lines, alternately, ``runs`` times each."""
        our_sample, their_sample = Sample(), Sample()
        for _ in range(self.runs):
            our_sample.add(*self.measure(ours))
            their_sample.add(*run_process(theirs, self.env))
        return our_sample, their_sample

    def turns(self, pyhelm_args: list[str], helm_args: list[str]) -> tuple[Sample, Sample]:
        """pyhelm and Helm with these arguments, alternately."""
        return self.alternate([*self.pyhelm, *pyhelm_args], [self.helm, *helm_args])

    def both(self, *args: str) -> tuple[Sample, Sample]:
        return self.turns(list(args), list(args))

    def pyhelm_ok(self, *args: str) -> None:
        run_process([*self.pyhelm, *args], self.env)

    def settle(self) -> None:
        """Wait until the cluster's controllers are done with earlier rows' objects.

        A large install leaves the controller manager creating ReplicaSets and Pods for
        minutes; on two shared cores that load would slow whichever tool runs next, so
        each measured cluster run starts once the Pod and ReplicaSet counts have held
        still for a few seconds (not in ``--smoke``: its objects are few)."""
        if self.smoke:
            return
        from pyhelm.kube.client import connect

        kube = connect(kubeconfig=self.kubeconfig)
        try:
            seen: list[tuple[int, int]] = []
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                seen.append((len(kube.list_metadata("v1", "Pod")),
                             len(kube.list_metadata("apps/v1", "ReplicaSet"))))
                if len(seen) >= 3 and len(set(seen[-3:])) == 1:
                    return
                time.sleep(2)
        finally:
            kube.close()

    def seed_once(self, key: str, seed: Callable[[], None]) -> None:
        if key not in self.seeded:
            seed()
            self.seeded.add(key)


# ------------------------------------------------------------------------- rows
def template_jinja(services: int) -> Callable[[Bench], tuple[Sample, Sample]]:
    def run(bench: Bench) -> tuple[Sample, Sample]:
        n = str(bench.size(services, min(services, 2)))
        return bench.turns(["template", "bench", str(JINJA_CHART), "--set", f"services={n}"],
                           ["template", "bench", str(HELM_CHART), "--set", f"services={n}"])
    return run


def template_go(services: int) -> Callable[[Bench], tuple[Sample, Sample]]:
    def run(bench: Bench) -> tuple[Sample, Sample]:
        n = str(bench.size(services, min(services, 2)))
        return bench.both("template", "bench", str(HELM_CHART), "--set", f"services={n}")
    return run


def without_server(run: Callable[[Bench], tuple[Sample, Sample]]
                   ) -> Callable[[Bench], tuple[Sample, Sample]]:
    def run_alone(bench: Bench) -> tuple[Sample, Sample]:
        with bench.own_process():
            return run(bench)
    return run_alone


def start_up_floor(modules: str, helm_args: list[str]) -> Callable[[Bench], tuple[Sample, Sample]]:
    """Python importing only the third-party modules a verb needs, against Helm's whole
    command: what no change to pyhelm's own code can go below."""
    def run(bench: Bench) -> tuple[Sample, Sample]:
        return bench.alternate([sys.executable, "-c", f"import {modules}"],
                               [bench.helm, *helm_args])
    return run


def seed_installs(bench: Bench, namespace: str, count: int) -> None:
    def install(index: int) -> None:
        bench.pyhelm_ok("install", f"rel-{index:03d}", str(ROOT / "charts" / "demo"),
                        "-n", namespace, "--create-namespace", "--set", "replicaCount=0")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(install, range(count)))


def seed_records(bench: Bench, namespace: str, releases: int, revisions: int) -> None:
    """Releases with long histories, written straight into the release store."""
    from pyhelm.action.records import new_release, with_outcome
    from pyhelm.chart.loader import load_chart
    from pyhelm.engine.manifest import Rendered
    from pyhelm.kube.client import connect
    from pyhelm.storage.store import ReleaseStore, driver_for

    kube = connect(kubeconfig=bench.kubeconfig, namespace=namespace)
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    store = ReleaseStore(driver_for("secret", kube, namespace))
    chart = load_chart(ROOT / "charts" / "demo")
    empty = Rendered(manifests=(), hooks=(), crds=(), notes="", templates={})
    now = datetime.now(UTC)

    def write(index: int) -> None:
        for version in range(1, revisions + 1):  # as install/upgrade write them:
            state = "deployed" if version == revisions else "superseded"  # pending first
            pending = new_release(name=f"rel-{index:04d}", namespace=namespace,
                                  revision=version, chart=chart, config={}, rendered=empty,
                                  state="pending-install" if version == 1
                                  else "pending-upgrade", description="bench", now=now)
            store.create(pending)
            store.update(with_outcome(pending, state=state, description="bench", now=now))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write, range(releases)))
    kube.close()


def list_all(releases: int, revisions: int, namespace: str
             ) -> Callable[[Bench], tuple[Sample, Sample]]:
    def run(bench: Bench) -> tuple[Sample, Sample]:
        count = bench.size(releases, 3)
        where = bench.ns(namespace)
        if revisions == 1:
            bench.seed_once(where, lambda: seed_installs(bench, where, count))
        else:
            bench.seed_once(where, lambda: seed_records(
                bench, where, count, bench.size(revisions, 2)))
        return bench.both("list", "-A", "--max", "0")
    return run


def status(bench: Bench) -> tuple[Sample, Sample]:
    where = bench.ns("bench-status")
    bench.seed_once(where, lambda: seed_installs(bench, where, 1))
    return bench.both("status", "rel-000", "-n", where)


def history(revisions: int) -> Callable[[Bench], tuple[Sample, Sample]]:
    def run(bench: Bench) -> tuple[Sample, Sample]:
        where = bench.ns(f"bench-history-{revisions}")
        bench.seed_once(where, lambda: seed_records(bench, where, 1,
                                                    bench.size(revisions, 3)))
        return bench.both("history", "rel-0000", "-n", where, "--max", "256")
    return run


def install_uninstall_wait(bench: Bench) -> tuple[Sample, Sample]:
    """install --wait then uninstall --wait, timed together."""
    ours, theirs = Sample(), Sample()
    n = f"services={bench.size(10, 2)}"
    for _ in range(bench.runs):
        for command, chart, namespace, sample in (
                (bench.pyhelm, JINJA_CHART, "bench-wait-py", ours),
                ([bench.helm], HELM_CHART, "bench-wait-helm", theirs)):
            bench.settle()
            install = [*command, "install", "ten", str(chart), "-n", bench.ns(namespace),
                       "--create-namespace", "--wait", "--timeout", "5m", "--set", n]
            uninstall = [*command, "uninstall", "ten", "-n", bench.ns(namespace), "--wait",
                         "--timeout", "5m"]
            seconds, peak = bench.measure(install, repeatable=False)
            more, peak_more = bench.measure(uninstall, repeatable=False)
            sample.add(seconds + more, max(peak, peak_more))
    return ours, theirs


def big_release(verb: str) -> Callable[[Bench], tuple[Sample, Sample]]:
    """install (fresh namespaces) or upgrade (of that install) of 1000 services."""
    def run(bench: Bench) -> tuple[Sample, Sample]:
        n = f"services={bench.size(1000, 3)}"
        extra = ["--set", "settings.logLevel=debug"] if verb == "upgrade" else []
        create = ["--create-namespace"] if verb == "install" else []
        if verb == "upgrade":
            bench.seed_once("big-install", lambda: big_release("install")(bench))
        ours = Sample()
        theirs = Sample()
        for command, chart, namespace, sample in (
                (bench.pyhelm, JINJA_CHART, "bench-big-py", ours),
                ([bench.helm], HELM_CHART, "bench-big-helm", theirs)):
            bench.settle()
            sample.add(*bench.measure(
                [*command, verb, "big", str(chart), "-n", bench.ns(namespace), *create,
                 "--set", n, "--timeout", "15m", *extra], repeatable=False))
        bench.seeded.add("big-install")
        return ours, theirs
    return run


def api_server_floor(bench: Bench) -> tuple[Sample, Sample]:
    """The server-side applies pyhelm sends to install 1000 services, sent by vegeta (Go,
    HTTP/1.1 on 32 connections as pyhelm's, next to no client CPU), against Helm's whole
    install: the API server's, etcd's and the controllers' part of the install row, which
    no client can go below on this cluster."""
    from repo_serve import vegeta

    services = bench.size(1000, 3)
    ours = Sample()
    theirs = Sample()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        targets = work / "targets.json"
        results = work / "results.bin"
        lines = apply_targets(bench, bench.ns("bench-floor-vegeta"), services)
        targets.write_text("\n".join(lines) + "\n")
        binary = str(vegeta())
        bench.settle()
        ours.add(*run_process(
            [binary, "attack", "-targets", str(targets), "-format", "json", "-lazy",
             "-rate", "0", "-workers", "32", "-max-workers", "32", "-http2=false",
             "-timeout", "120s", "-max-body", "0", "-output", str(results),
             *vegeta_credentials(bench.kubeconfig, work)], bench.env))
        answers = json.loads(subprocess.run([binary, "report", "-type", "json", str(results)],
                                            capture_output=True, text=True, check=True).stdout)
        applied = sum(count for code, count in answers["status_codes"].items()
                      if code.startswith("2"))
        if applied != len(lines):  # each worker also records "no targets" once done
            raise RuntimeError(f"vegeta applied {applied} of {len(lines)} objects: "
                               f"{answers.get('errors')}")
    bench.settle()
    theirs.add(*bench.measure(
        [bench.helm, "install", "big", str(HELM_CHART), "-n", bench.ns("bench-floor-helm"),
         "--create-namespace", "--set", f"services={services}", "--timeout", "15m"]))
    return ours, theirs


def apply_targets(bench: Bench, namespace: str, services: int) -> list[str]:
    """vegeta's targets (JSON lines): one server-side apply per object of the Jinja2
    chart, in Helm's kind order, as pyhelm's install sends them."""
    from pyhelm.action.apply import FIELD_MANAGER, ReleaseRef, kind_groups, stamp_ownership
    from pyhelm.engine.documents import parse_manifests
    from pyhelm.kube.client import connect

    rendered = subprocess.run(
        [*bench.pyhelm, "template", "big", str(JINJA_CHART), "-n", namespace,
         "--set", f"services={services}"],
        env=bench.env, capture_output=True, text=True, check=True).stdout
    kube = connect(kubeconfig=bench.kubeconfig, namespace=namespace)
    lines = []
    try:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        for group in kind_groups(parse_manifests(rendered, "microservices")):
            for manifest in group:
                info = kube.resource_for(manifest.api_version, manifest.kind)
                body = stamp_ownership(manifest.obj, ReleaseRef("big", namespace),
                                       namespace if info.namespaced else None)
                path, _ = kube._object_path(body)  # the path pyhelm's apply sends to
                lines.append(json.dumps({
                    "method": "PATCH",
                    "url": f"{kube.server}{path}?fieldManager={FIELD_MANAGER}",
                    "body": base64.b64encode(
                        json.dumps(body, separators=(",", ":")).encode()).decode(),
                    "header": {"Content-Type": ["application/apply-patch+yaml"],
                               "Accept": ["application/json"]}}))
    finally:
        kube.close()
    return lines


def vegeta_credentials(kubeconfig: str | None, scratch: Path) -> list[str]:
    """vegeta's flags for the connection pyhelm reads from the kubeconfig: the cluster's
    CA, and the user's client certificate or token (data is written into scratch)."""
    from pyhelm.kube.kubeconfig import KubeOverrides, resolve

    connection = resolve(KubeOverrides(kubeconfig=kubeconfig))

    def file(path: str | None, data: bytes | None, name: str) -> str:
        if path:
            return path
        if not data:
            raise RuntimeError(f"the vegeta floor row needs a {name} in {kubeconfig}")
        (scratch / name).write_bytes(data)
        return str(scratch / name)

    flags = ["-root-certs", file(connection.ca_file, connection.ca_data,
                                 "certificate-authority")]
    if connection.token:
        return [*flags, "-header", f"Authorization: Bearer {connection.token}"]
    return [*flags, "-cert", file(connection.cert_file, connection.cert_data,
                                  "client-certificate"),
            "-key", file(connection.key_file, connection.key_data, "client-key")]


ROWS = [
    Row("floor: python importing click, jinja2, yaml (against Helm's template, 6 objects)",
        None, False, start_up_floor("click, jinja2, yaml",
                                    ["template", "bench", str(HELM_CHART)])),
    Row("template, 6 objects", 1.0, False, template_jinja(1)),
    Row("template, 6 objects, command server off", 2.5, False,
        without_server(template_jinja(1))),
    Row("template, 1000 services (6000 objects)", 0.33, False, template_jinja(1000)),
    Row("template, 1000 services (6000 objects), command server off", 0.5, False,
        without_server(template_jinja(1000))),
    Row("template of the Go-template twin, 6 objects", 1.5, False, template_go(1)),
    Row("template of the Go-template twin, 6 objects, command server off", 2.5, False,
        without_server(template_go(1))),
    Row("template of the Go-template twin, 6000 objects", 1.0, False, template_go(1000)),
    Row("template of the Go-template twin, 6000 objects, command server off", 1.0, False,
        without_server(template_go(1000))),
    Row("floor: python importing click, yaml, http.client, ssl (against Helm's version)",
        None, False, start_up_floor("click, yaml, http.client, ssl", ["version"])),
    Row("list -A, 3 releases", 1.0, True, list_all(3, 1, "bench-list-3")),
    Row("list -A, 3 releases, command server off", 2.5, True,
        without_server(list_all(3, 1, "bench-list-3"))),
    Row("status, one release", 1.0, True, status),
    Row("status, one release, command server off", 2.5, True, without_server(status)),
    Row("history, 9 revisions", 1.0, True, history(9)),
    Row("history, 9 revisions, command server off", 2.5, True, without_server(history(9))),
    Row("history, 100 revisions", 1.5, True, history(100)),
    Row("list -A, 220 releases", 1.0, True, list_all(220, 1, "bench-list-220")),
    Row("list -A, 1000 releases x 10 revisions", 0.1, True,
        list_all(1000, 10, "bench-list-1000")),
    Row("install + uninstall --wait, 10 services", 1.0, True, install_uninstall_wait),
    Row("install, 1000 services", 0.33, True, big_release("install")),
    Row("floor: the same applies sent by vegeta, Go, 32 connections (against Helm's "
        "install, 1000 services)", None, True, api_server_floor),
    Row("upgrade, 1000 services", 0.33, True, big_release("upgrade")),
]


@contextlib.contextmanager
def cluster_kubeconfig() -> Iterator[str]:
    if os.environ.get("KUBECONFIG"):
        yield os.environ["KUBECONFIG"]
        return
    from pyhelm.testing.cluster import LocalCluster

    with LocalCluster.start() as cluster:
        yield str(cluster.kubeconfig_path)


def describe(sample: Sample) -> str:
    values = sample.seconds
    median = statistics.median(values)
    spread = f" ({min(values):.3f}-{max(values):.3f})" if len(values) > 1 else ""
    return f"{median:.3f} s{spread}"


def verdict_of(goal: float, ratio: float, ours: Sample, theirs: Sample) -> str:
    """Each goal row has two goals: the ratio, and a peak RSS no higher than Helm's."""
    missed = [] if ratio <= goal else ["time"]
    if ours.peak_kib > theirs.peak_kib:
        missed.append("memory")
    return "met" if not missed else f"not met: {' and '.join(missed)}"


def report(rows: list[tuple[Row, Sample, Sample]], markdown: bool) -> str:
    lines = []
    if markdown:
        helm = f"Helm {HELM_VERSION.lstrip('v')}"
        lines += [f"| command | pyhelm | {helm} | ratio | goal | peak RSS pyhelm / Helm |",
                  "|---|---|---|---|---|---|"]
    for row, ours, theirs in rows:
        ratio = statistics.median(ours.seconds) / statistics.median(theirs.seconds)
        goal = "none" if row.goal is None else f"≤ {row.goal}"
        verdict = "for reference" if row.goal is None else verdict_of(row.goal, ratio,
                                                                        ours, theirs)
        memory = f"{ours.peak_kib // 1024} / {theirs.peak_kib // 1024} MiB"
        if markdown:
            lines.append(f"| {row.name} | {describe(ours)} | {describe(theirs)} | "
                         f"{ratio:.2f} | {goal} ({verdict}) | {memory} |")
        else:
            lines.append(f"{row.name:48} pyhelm {describe(ours):24} helm "
                         f"{describe(theirs):24} ratio {ratio:5.2f}  goal {goal} "
                         f"({verdict})  rss {memory}")
    return "\n".join(lines)


README_BEGIN = "<!-- bench/commands.py --readme: begin -->"
README_END = "<!-- bench/commands.py --readme: end -->"


def machine() -> str:
    """The machine and tools of a run, for the README."""
    import platform

    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def server_line(resident_mib: float | None) -> str:
    if resident_mib is None:
        return "pyhelm's command server was off."
    return (f"pyhelm's command server held {resident_mib:.0f} MiB resident at the end. A "
            "row's peak RSS is the peak of the summed RSS of pyhelm's processes, sampled every "
            "2 ms: a served row's client, runner (which counts the pages it shares with "
            "the server) and the runner's children (helm-engine); in a process of its own, "
            "pyhelm and its helm-engine.")


def readme_block(rows: list[tuple[Row, Sample, Sample]], runs: int, when: datetime,
                 server_mib: float | None) -> str:
    return "\n".join([
        README_BEGIN,
        f"Run {when:%Y-%m-%d %H:%M} UTC on {machine()}: medians of {runs} runs per row "
        "(cluster install and upgrade rows: one run each), both tools in turns. "
        + server_line(server_mib),
        "",
        report(rows, markdown=True),
        README_END])


def update_readme(text: str, block: str) -> str:
    """``text`` with the block between the markers replaced by ``block``."""
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"the README has no {README_BEGIN} ... {README_END} block")
    return text[:start] + block + text[end + len(README_END):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per row (large rows: 1)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="rows whose name contains any of these words")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--smoke", action="store_true", help="each row once, tiny sizes")
    parser.add_argument("--readme", type=Path, default=None,
                        help="rewrite this README's benchmark table from the run")
    args = parser.parse_args(argv)
    rows = [r for r in ROWS if not args.only or any(w in r.name for w in args.only)]
    # as pip does when it installs the wheel: processes then load bytecode, never compile
    # (PYTHONDONTWRITEBYTECODE would otherwise make every run compile pyhelm afresh)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pyhelm")], check=True)
    started = datetime.now(UTC)
    results: list[tuple[Row, Sample, Sample]] = []
    with contextlib.ExitStack() as stack:
        kubeconfig = None
        if any(r.cluster for r in rows):
            kubeconfig = stack.enter_context(cluster_kubeconfig())
        bench = Bench(args.runs, args.smoke, kubeconfig)
        for row in rows:
            ours, theirs = row.run(bench)
            results.append((row, ours, theirs))
            print(report([(row, ours, theirs)], markdown=False), flush=True)
        server_mib = bench.server_resident_mib()
    print(server_line(server_mib))
    if args.markdown:
        print(report(results, markdown=True))
    if args.readme:
        block = readme_block(results, bench.runs, started, server_mib)
        args.readme.write_text(update_readme(args.readme.read_text(), block))
    return 0


if __name__ == "__main__":
    sys.exit(main())
