"""Fault injection: ``kill -9`` of the pyhelm CLI at random points of install, upgrade
(growing and shrinking), rollback and uninstall, with normal and chunked (> 1 MiB)
records. After every kill:

* ``pyhelm history`` and ``list`` read the release, and Helm reads it too (``helm list``;
  ``helm history`` for normal-sized records, Helm cannot read chunked ones);
* the next pyhelm operation succeeds and leaves no revision pending;
* the live objects labelled with the release are exactly the deployed revision's
  manifest (no orphans, nothing missing), or none after an uninstall.

Two streams (normal, chunked) run side by side; the delays come from a seeded generator
so a failure can be replayed. Counts (kills, recoveries, orphans) are printed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pyhelm.testing import peers

pytestmark = pytest.mark.cluster

SCRIPT = Path(sys.executable).parent / "pyhelm"
KILLS_PER_STREAM = int(os.environ.get("FAULT_KILLS", "26"))
KINDS = (("v1", "ConfigMap", "configmaps"), ("v1", "Service", "services"))
TEMPLATES = """{% for i in range(Values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ Release.Name }}-cm{{ i }}
  labels: {fault-release: "{{ Release.Name }}"}
data: {rev: "{{ Release.Revision }}"}
{% endfor %}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ Release.Name }}-svc
  labels: {fault-release: "{{ Release.Name }}"}
spec:
  ports: [{port: 80}]
  selector: {app: "{{ Release.Name }}"}
"""


def _chart(root: Path, *, big: bool) -> str:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: faults\nversion: 1.0.0\n")
    (root / "values.yaml").write_text("count: 3\n")
    (root / "templates" / "all.yaml").write_text(TEMPLATES)
    if big:  # incompressible chart file: every record is ~1.6 MiB, chunked
        (root / "files").mkdir()
        (root / "files" / "blob.bin").write_bytes(random.Random(7).randbytes(1_200_000))
    return str(root)


@dataclass
class Stream:
    name: str
    namespace: str
    chart: str
    kubeconfig: str
    helm_env: dict[str, str]
    chunked: bool
    rng: random.Random
    kills: int = 0
    finished_before_kill: int = 0
    recoveries: int = 0
    orphans: int = 0
    missing: int = 0
    problems: list[str] = field(default_factory=list)
    count: int = 3
    _kube: Any = None

    # ------------------------------------------------------------ running commands
    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(peers.helm_binary()), *args, "-n", self.namespace],
                              capture_output=True, text=True, timeout=60, check=False,
                              env=self.helm_env)

    def killed(self, *args: str) -> None:
        """Start ``pyhelm args`` and kill -9 it: every other kill after a random delay of
        0..1 s (most operations here finish within about a second), the others a random
        0..100 ms after the operation's pending revision appears, so that kills land
        inside the lock's window however fast the command gets."""
        process = subprocess.Popen(
            [str(SCRIPT), "--kubeconfig", self.kubeconfig, "-n", self.namespace, *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYHELM_DEBUG": ""})
        at_random = self.kills % 2 == 0
        delay = self.rng.uniform(0.0, 1.0) if at_random else self.rng.uniform(0.0, 0.1)
        try:
            if not at_random:
                self.wait_for_pending(process, timeout=5.0)
            process.wait(timeout=delay)
            self.finished_before_kill += 1
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            self.settle()
        self.kills += 1

    def settle(self, quiet_for: float = 0.5, timeout: float = 15.0) -> None:
        """Until the release's records stop changing. A served command's runner dies just
        after its client (the command server kills it when the client's connection
        hangs up; on a loaded machine that takes a moment), and may write until then:
        pyhelm's and Helm's reads that follow must see one state."""
        from pyhelm.storage.store import ReleaseStore, driver_for

        self.store()  # connects
        quiet = ReleaseStore(driver_for("secret", self._kube, self.namespace),
                             warn=lambda _: None)
        deadline = time.monotonic() + timeout
        seen: list[tuple[int, str]] | None = None
        since = time.monotonic()
        while time.monotonic() < deadline:
            now = [(r.version, str(r.info.status)) for r in quiet.history(self.name)]
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_for:
                return
            time.sleep(0.05)

    def wait_for_pending(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        """Until a revision of the release is pending, or the process ended."""
        deadline = time.monotonic() + timeout
        from pyhelm.storage.store import ReleaseStore, driver_for

        self.store()  # connects
        quiet = ReleaseStore(driver_for("secret", self._kube, self.namespace),
                             warn=lambda _: None)  # records mid-write are not problems here
        while process.poll() is None and time.monotonic() < deadline:
            if any(r.info.status.is_pending for r in quiet.history(self.name)):
                return
            time.sleep(0.01)

    # ------------------------------------------------------------ observations
    def store(self) -> Any:
        """A fresh reader: unreadable records are reported as problems, not skipped."""
        from pyhelm.kube.client import connect
        from pyhelm.storage.store import ReleaseStore, driver_for

        if self._kube is None:
            self._kube = connect(kubeconfig=self.kubeconfig, namespace=self.namespace)
        return ReleaseStore(driver_for("secret", self._kube, self.namespace),
                            warn=lambda m: self.problems.append(f"unreadable: {m}"))

    def history(self) -> list[Any]:
        return list(self.store().history(self.name))

    def check_readable(self, step: str) -> None:
        revisions = self.history()
        self.store().list_releases()
        helm_list = self.helm("list")  # Helm 4 lists every status by default
        if helm_list.returncode != 0:
            self.problems.append(f"{step}: helm list: {helm_list.stderr.strip()}")
        if revisions and not self.chunked:
            helm_history = self.helm("history", self.name)
            if helm_history.returncode != 0:
                self.problems.append(f"{step}: helm history: {helm_history.stderr.strip()}")
        if any(r.info.status.is_pending for r in revisions):
            self.recoveries += 1  # the next operation must recover it

    def live(self) -> set[str]:
        kube = self._kube
        assert kube is not None
        selector = f"fault-release={self.name}"
        return {f"{kind}/{o['metadata']['name']}" for kind in ("ConfigMap", "Service")
                for o in kube.list("v1", kind, self.namespace, label_selector=selector)}

    def check_settled(self, step: str, *, expect_release: bool) -> None:
        revisions = self.history()
        pending = [(r.version, str(r.info.status)) for r in revisions
                   if r.info.status.is_pending]
        if pending:
            self.problems.append(f"{step}: still pending after the next operation: {pending}")
        wanted: set[str] = set()
        if expect_release:
            if not revisions or str(revisions[-1].info.status) != "deployed":
                self.problems.append(f"{step}: latest is not deployed: "
                                     f"{[(r.version, str(r.info.status)) for r in revisions]}")
                return
            wanted = {f"{kind}/{name}" for kind, name in _objects(revisions[-1].manifest)}
        live = self.live()
        if live - wanted:
            self.orphans += len(live - wanted)
            self.problems.append(f"{step}: orphans {sorted(live - wanted)}")
        if wanted - live:
            self.missing += len(wanted - live)
            self.problems.append(f"{step}: missing {sorted(wanted - live)}")

    def operate(self, step: str, call: Any) -> None:
        """The next operation, in process (a fresh client: a new owner, as a new run)."""
        import pyhelm
        from pyhelm.errors import PyhelmError

        client = pyhelm.Client(kubeconfig=self.kubeconfig, namespace=self.namespace)
        try:
            call(client)
        except PyhelmError as exc:
            self.problems.append(f"{step}: the next operation failed: {exc}")

    # ------------------------------------------------------------ the scenario
    def upgrade_args(self, count: int) -> list[str]:
        return ["upgrade", "--install", self.name, self.chart, "--set", f"count={count}"]

    def run(self) -> None:
        steps = ["uninstall", "install", "grow", "shrink", "rollback"]
        upgrade = self.upgrade_in_process
        self.operate("setup", upgrade)
        self.count += 1
        self.operate("setup", upgrade)
        index = 0
        while self.kills < KILLS_PER_STREAM:
            step = steps[index % len(steps)]
            index += 1
            label = f"{self.name} kill {self.kills + 1} ({step})"
            if step == "uninstall":
                self.killed("uninstall", self.name)
                self.check_readable(label)
                if self.history():
                    self.operate(label, lambda c: c.uninstall(self.name))
                self.check_settled(label, expect_release=False)
                continue
            if step == "install":
                self.killed("install", self.name, self.chart, "--set", f"count={self.count}")
            elif step in ("grow", "shrink"):
                self.count = max(1, self.count + (3 if step == "grow" else -2))
                self.killed(*self.upgrade_args(self.count))
            else:
                if len(self.history()) < 2:
                    self.operate(label, upgrade)
                self.killed("rollback", self.name)
            self.check_readable(label)
            self.operate(label, upgrade)  # the next operation
            self.check_settled(label, expect_release=True)

    def upgrade_in_process(self, client: Any) -> None:
        client.upgrade(self.name, self.chart, values={"count": self.count}, install=True)


def _objects(manifest: str) -> list[tuple[str, str]]:
    from pyhelm import yamlio

    found = []
    for doc in yamlio.load_all(manifest):
        if isinstance(doc, dict) and doc.get("kind"):
            found.append((doc["kind"], doc["metadata"]["name"]))
    return found


def _namespace(kube_api: Any, name: str) -> None:
    from kubernetes import client

    client.CoreV1Api(kube_api).create_namespace({"metadata": {"name": name}})


def test_kill_minus_9_at_random_points_never_breaks_a_release(
        kubeconfig: str, kube_api: Any, namespace: str, tmp_path: Path) -> None:
    started = time.monotonic()
    helm_env = peers.helm_env(tmp_path, KUBECONFIG=kubeconfig)
    streams = []
    for chunked in (False, True):
        ns = f"{namespace[:50]}-{'big' if chunked else 'small'}"
        _namespace(kube_api, ns)
        streams.append(Stream(
            name="big" if chunked else "small", namespace=ns, kubeconfig=kubeconfig,
            chart=_chart(tmp_path / ("big" if chunked else "small"), big=chunked),
            helm_env=helm_env, chunked=chunked, rng=random.Random(20261125 + chunked)))
    threads = [threading.Thread(target=s.run) for s in streams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    for s in streams:
        print(f"\n{s.name}: kills={s.kills} (finished before the kill: "
              f"{s.finished_before_kill}) recoveries={s.recoveries} orphans={s.orphans} "
              f"missing={s.missing}")
    print(f"took {took:.0f} s")
    problems = [p for s in streams for p in s.problems]
    assert not problems, "\n".join(problems[:20])
    assert sum(s.kills for s in streams) >= 50
    assert sum(s.kills - s.finished_before_kill for s in streams) >= 25
    assert sum(s.recoveries for s in streams) >= 5, "kills should leave pending revisions"
