"""A real local Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (fake Nodes and Pod status), all on 127.0.0.1.

Library use::

    with LocalCluster.start() as cluster:
        print(cluster.kubeconfig_path)

Command line: ``python -m pyhelm.testing.cluster build|up|down|env`` (see ``--help``).
Every child runs in its own process group and is killed with its parent (PDEATHSIG), so
an interrupted test run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pyhelm.testing import cluster_build
from pyhelm.testing.certs import PkiPaths, generate_pki

FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
# what every fake container has "printed": a CRI log file kwok serves through the API
# server's pods/log (kwok's ClusterLogs); one line per stream, as a kubelet writes them
CONTAINER_LOG = ("2026-01-01T00:00:00.000000000Z stdout F kwok: fake container started\n"
                 "2026-01-01T00:00:01.000000000Z stdout F kwok: fake container done\n")
SERVICE_CIDR = "10.96.0.0/12"  # room for the 1000-service benchmark
DEFAULT_NODES = 3


class ClusterStartError(RuntimeError):
    """The control plane did not come up; the message says which part and why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    os.setpgrp()
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class _Component:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    argv: list[str]


@dataclass
class LocalCluster:
    """A running local control plane; ``stop()`` (or leaving the ``with``) ends it."""

    workdir: Path
    kubeconfig_path: Path
    server: str
    pki: PkiPaths
    components: list[_Component] = field(default_factory=list)
    _owns_workdir: bool = False

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def start(cls, workdir: Path | None = None, nodes: int = DEFAULT_NODES,
              timeout: float = 120.0) -> LocalCluster:
        binaries = cluster_build.build()
        owns = workdir is None
        root = Path(tempfile.mkdtemp(prefix="pyhelm-cluster-")) if workdir is None else workdir
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(root / "etcd", ignore_errors=True)  # a cluster always starts empty
        pki = generate_pki(root / "pki")
        port = _free_port()
        cluster = cls(workdir=root, kubeconfig_path=root / "kubeconfig",
                      server=f"https://127.0.0.1:{port}", pki=pki, _owns_workdir=owns)
        cluster._write_kubeconfig()
        try:
            cluster._launch(binaries, port, nodes, time.monotonic() + timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill every component (newest first) and remove a temporary work dir."""
        for component in reversed(self.components):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGTERM)
        for component in reversed(self.components):
            try:
                component.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(component.process.pid, signal.SIGKILL)
                component.process.wait()
            component.log.close()
        self.components.clear()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ----------------------------------------------------------------- launch
    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.components.append(_Component(name, process, log, argv))

    def restart_apiserver(self, down_for: float = 2.0, timeout: float = 60.0) -> None:
        """Stop kube-apiserver (SIGKILL: no graceful drain), wait ``down_for`` seconds,
        start it again on the same port and storage, and wait until it is ready: the
        fault tests' outage. The other components reconnect by themselves. Call it from
        the main thread: a component dies with the thread that started it."""
        index = next(i for i, c in enumerate(self.components) if c.name == "kube-apiserver")
        old = self.components[index]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(old.process.pid, signal.SIGKILL)
        old.process.wait()
        old.log.close()
        time.sleep(down_for)
        log = (self.workdir / f"{old.name}.log").open("ab")
        process = subprocess.Popen(old.argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.components[index] = _Component(old.name, process, log, old.argv)
        self._wait("kube-apiserver /readyz after a restart", time.monotonic() + timeout,
                   lambda: self._get("/readyz") == "ok")

    def _check_alive(self) -> None:
        for component in self.components:
            if component.process.poll() is not None:
                tail = (self.workdir / f"{component.name}.log").read_text(errors="replace")
                raise ClusterStartError(
                    f"{component.name} exited with {component.process.returncode}: "
                    + " | ".join(tail.strip().splitlines()[-5:]))

    def _wait(self, what: str, deadline: float, probe: Any) -> None:
        while True:
            self._check_alive()
            with contextlib.suppress(Exception):
                if probe():
                    return
            if time.monotonic() > deadline:
                raise ClusterStartError(f"timed out waiting for {what} (logs in {self.workdir})")
            time.sleep(0.1)

    def _launch(self, binaries: dict[str, Path], port: int, nodes: int, deadline: float) -> None:
        etcd_port, peer_port = _free_port(), _free_port()
        self._spawn("etcd", [
            str(binaries["etcd"]), "--data-dir", str(self.workdir / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-cluster", f"default=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync", "--log-level", "warn"])
        pki = self.pki
        self._spawn("kube-apiserver", [
            str(binaries["kube-apiserver"]),
            "--etcd-servers", f"http://127.0.0.1:{etcd_port}",
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(port), "--cert-dir", str(self.workdir / "pki"),
            "--tls-cert-file", str(pki.serving_cert), "--tls-private-key-file",
            str(pki.serving_key), "--client-ca-file", str(pki.ca_cert),
            "--service-account-key-file", str(pki.sa_pub),
            "--service-account-signing-key-file", str(pki.sa_key),
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--authorization-mode", "Node,RBAC", "--allow-privileged=true",
            # pods/log is proxied to kwok's kubelet server on 127.0.0.1 (the nodes'
            # InternalIP), over TLS checked against the cluster CA
            "--kubelet-preferred-address-types", "InternalIP",
            "--kubelet-certificate-authority", str(pki.ca_cert),
            "--kubelet-client-certificate", str(pki.admin_cert),
            "--kubelet-client-key", str(pki.admin_key),
            "--endpoint-reconciler-type", "none", "--v", "1"])
        self._wait("kube-apiserver /readyz", deadline, lambda: self._get("/readyz") == "ok")
        kubeconfig = str(self.kubeconfig_path)
        self._spawn("kube-controller-manager", [
            str(binaries["kube-controller-manager"]), "--kubeconfig", kubeconfig,
            "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
            "--service-account-private-key-file", str(pki.sa_key),
            "--root-ca-file", str(pki.ca_cert), "--leader-elect=false",
            "--bind-address", "127.0.0.1", "--secure-port", str(_free_port()),
            "--controllers", "*,-nodeipam,-cloud-node-lifecycle",
            # kwok's nodes are fake: a heartbeat that a busy 2-core machine delays must
            # not mark them NotReady (and every pod on them unready) mid-test
            "--node-monitor-grace-period", "10m"])
        self._spawn("kube-scheduler", [
            str(binaries["kube-scheduler"]), "--kubeconfig", kubeconfig,
            "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
            "--leader-elect=false", "--bind-address", "127.0.0.1",
            "--secure-port", str(_free_port())])
        kwok_port = _free_port()
        self._spawn("kwok", [
            str(binaries["kwok"]), "--kubeconfig", kubeconfig,
            "--config", str(self._write_kwok_config()),
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
            "--node-ip", "127.0.0.1", "--node-port", str(kwok_port),
            "--cidr", "10.244.0.0/16", "--server-address", f"127.0.0.1:{kwok_port}",
            "--tls-cert-file", str(pki.serving_cert),
            "--tls-private-key-file", str(pki.serving_key)])
        for index in range(nodes):
            self._request("POST", "/api/v1/nodes", _fake_node(f"kwok-node-{index}"))
        self._wait("the default ServiceAccount", deadline, lambda: self._get(
            "/api/v1/namespaces/default/serviceaccounts/default"))
        self._wait(f"{nodes} Ready nodes", deadline, lambda: self._ready_nodes() >= nodes)

    def _write_kwok_config(self) -> Path:
        """kwok's --config: a ClusterLogs serving ``CONTAINER_LOG`` for every container
        of every pod, and kwok's own pod stages plus one that completes a bare Pod with
        ``restartPolicy: Never`` (a test hook) as kwok completes a Job's pod."""
        log_file = self.workdir / "container.log"
        log_file.write_text(CONTAINER_LOG)
        documents: list[Any] = [{
            "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
            "metadata": {"name": "every-container"},
            "spec": {"logs": [{"logsFile": str(log_file), "follow": False}]}}]
        documents += _pod_stages()
        config = self.workdir / "kwok.yaml"
        config.write_text("---\n".join(json.dumps(d) + "\n" for d in documents))
        return config

    # ----------------------------------------------------------------- HTTP
    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.ssl_context(), timeout=10) as resp:
            text = resp.read().decode()
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _get(self, path: str) -> Any:
        try:
            return self._request("GET", path)
        except urllib.error.HTTPError:
            return None

    def _ready_nodes(self) -> int:
        nodes = self._get("/api/v1/nodes") or {}
        # Ready, and the node-lifecycle controller has lifted the not-ready taint
        return sum(
            1 for node in nodes.get("items", [])
            if not node.get("spec", {}).get("taints")
            and any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in node.get("status", {}).get("conditions", [])))

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "pyhelm-local",
            "clusters": [{"name": "pyhelm-local", "cluster": {
                "server": self.server, "certificate-authority": str(self.pki.ca_cert)}}],
            "users": [{"name": "pyhelm-admin", "user": {
                "client-certificate": str(self.pki.admin_cert),
                "client-key": str(self.pki.admin_key)}}],
            "contexts": [{"name": "pyhelm-local", "context": {
                "cluster": "pyhelm-local", "user": "pyhelm-admin", "namespace": "default"}}],
        }
        self.kubeconfig_path.write_text(json.dumps(config, indent=2))
        self.kubeconfig_path.chmod(0o600)


def _fake_node(name: str) -> dict[str, Any]:
    capacity = {"cpu": "256", "memory": "1Ti", "pods": "4000"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": {FAKE_NODE_ANNOTATION: "fake"},
                     "labels": {"type": "kwok", "kubernetes.io/hostname": name,
                                "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
        "spec": {},
        "status": {"allocatable": capacity, "capacity": capacity},
    }


def _pod_stages() -> list[Any]:
    """kwok's default pod stages, read from the kwok module the binary was built from,
    and a copy of its ``pod-complete`` for Pods nobody owns that never restart. Stages
    given in --config replace kwok's defaults, hence the defaults too. Without Go or the
    module (binaries from KUBEBUILDER_ASSETS) kwok keeps its defaults, and a bare test
    Pod stays Running."""
    import yaml

    try:
        listed = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
                                cwd=cluster_build.TOOLS_DIR / "kwok", capture_output=True,
                                text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return []
    stage_dir = Path(listed.stdout.strip()) / "kustomize" / "stage" / "pod" / "fast"
    names = ("pod-ready", "pod-complete", "pod-delete")
    if not all((stage_dir / f"{n}.yaml").is_file() for n in names):
        return []
    stages = [yaml.safe_load((stage_dir / f"{n}.yaml").read_text()) for n in names]
    bare = json.loads(json.dumps(stages[1]))
    bare["metadata"]["name"] = "pod-complete-bare"
    bare["spec"]["selector"]["matchExpressions"] = [
        {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
        {"key": ".metadata.ownerReferences", "operator": "DoesNotExist"},
        {"key": ".spec.restartPolicy", "operator": "In", "values": ["Never"]},
        {"key": ".status.phase", "operator": "In", "values": ["Running"]}]
    return [*stages, bare]


def _running_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` when that process still runs: starting a second cluster
    in one state dir would rewrite the first one's certificates under it."""
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _state_dir(value: str | None) -> Path:
    return Path(value) if value else cluster_build.cache_root() / "cluster"


def main(argv: list[str] | None = None) -> int:
    """``build``: build or reuse binaries; ``up``: run a cluster in the foreground until
    interrupted (its kubeconfig at STATE/kubeconfig); ``env``: print the export line;
    ``down``: stop the cluster that ``up`` started."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m pyhelm.testing.cluster")
    parser.add_argument("command", choices=("build", "up", "down", "env"))
    parser.add_argument("--state-dir", help="where `up` keeps its files (default: cache)")
    parser.add_argument("--nodes", type=int, default=DEFAULT_NODES)
    args = parser.parse_args(argv)
    state = _state_dir(args.state_dir)
    if args.command == "build":
        for name, path in cluster_build.build().items():
            print(f"{name}: {path}")
        return 0
    if args.command == "env":
        print(f"export KUBECONFIG={state / 'kubeconfig'}")
        return 0
    if args.command == "down":
        pid_file = state / "pid"
        if not pid_file.exists():
            print("no cluster is running", flush=True)
            return 0
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
        return 0
    running = _running_pid(state / "pid")
    if running is not None:
        print(f"a cluster is already up in {state} (pid {running}): `down` it first, or "
              "give another --state-dir", file=sys.stderr, flush=True)
        return 1
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with LocalCluster.start(workdir=state, nodes=args.nodes) as cluster:
        (state / "pid").write_text(str(os.getpid()))
        print(f"cluster ready in {time.monotonic() - started:.1f}s; "
              f"export KUBECONFIG={cluster.kubeconfig_path}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            (state / "pid").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
