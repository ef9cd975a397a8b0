"""``pyhelm controller --enable-leader-election`` on the real API server: two controllers
share helm-controller's Lease, only its holder reconciles; the holder SIGKILLed in the
middle of a rollout of 20 HelmReleases (a pending Helm record left behind) is replaced by
the standby, which takes the Lease over (holderIdentity changes, leaseTransitions + 1)
and brings every release to Ready with no pending record; then the same in the middle of
their upgrades (pending-upgrade records), and both as if the dead leader had run on
another node (fenced at once); a leader whose Lease is taken exits 1; a holder stopped by
SIGTERM
releases the Lease and the standby takes over at once. Events and controller-runtime's
metrics are checked on the way. Sharding as Flux does it: two controllers on
``--watch-label-selector`` ``sharding.fluxcd.io/key in (shard1)`` and
``!sharding.fluxcd.io/key`` split the releases, each with a Lease of its own."""

from __future__ import annotations

import base64
import dataclasses
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.controller.leader import election_id
from pyhelm.testing import peers
from pyhelm.testing.registry import free_port
from tests.e2e.controller_support import CRD, HR_API, drop_finalizers, podinfo_source
from tests.e2e.controller_support import kubectl as _kubectl
from tests.e2e.test_controller import _condition

pytestmark = [pytest.mark.cluster, pytest.mark.registry]
LEASE = "helm-controller-leader-election"
PENDING = "owner=helm,status in (pending-install,pending-upgrade,pending-rollback)"
FAST = ["--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s",
        "--leader-election-retry-period", "1s"]


@pytest.fixture
def env(tmp_path: Path, kubeconfig: str) -> dict[str, str]:
    return peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig)


@pytest.fixture
def kube(kubeconfig: str, env: dict[str, str]) -> Iterator[Any]:
    from pyhelm.kube.client import connect

    _kubectl(env, "apply", "--server-side", "-f", str(CRD))
    _kubectl(env, "wait", "--for=condition=Established", "--timeout=60s",
             "crd/helmreleases.helm.toolkit.fluxcd.io")
    client = connect(kubeconfig=kubeconfig)
    yield client
    client.close()


@dataclasses.dataclass
class Candidate:
    process: subprocess.Popen[bytes]
    log: Path
    health: str
    metrics: str

    def identity(self) -> str:
        """The holderIdentity it logged when starting."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if '"starting controller"' in line:
                    return str(json.loads(line)["identity"])
            time.sleep(0.2)
        pytest.fail(f"no identity logged:\n{self.log.read_text()}")

    def scrape(self, path: str) -> tuple[int, str]:
        url = (f"http://{self.metrics}{path}" if path == "/metrics"
               else f"http://{self.health}{path}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""


@pytest.fixture
def start(env: dict[str, str], namespace: str, tmp_path: Path, kube: Any
          ) -> Iterator[Callable[..., Candidate]]:
    started: list[Candidate] = []

    def run(label: str, *args: str) -> Candidate:
        log = tmp_path / f"controller-{label}.log"
        health, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "pyhelm", "controller", "--watch-all-namespaces=false",
                 "--enable-leader-election", "--concurrent", "2",  # bare, as Flux passes it
                 "--health-addr", health, "--metrics-addr", metrics, *args],
                env={**env, "RUNTIME_NAMESPACE": namespace}, stdout=out,
                stderr=subprocess.STDOUT)
        started.append(Candidate(process, log, health, metrics))
        return started[-1]

    yield run
    for candidate in started:
        if candidate.process.poll() is None:
            candidate.process.kill()
            candidate.process.wait(timeout=10)
    drop_finalizers(env, namespace)


def _lease(kube: Any, namespace: str, name: str = LEASE) -> dict[str, Any]:
    try:
        spec: dict[str, Any] = kube.get("coordination.k8s.io/v1", "Lease", name,
                                        namespace)["spec"]
        return spec
    except Exception:  # not there yet
        return {}


def _until(what: str, probe: Callable[[], Any], logs: list[Path], timeout: float = 240.0
           ) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-12:]) for log in logs)
            pytest.fail(f"{what} not reached in {timeout}s\n{tails}")
        time.sleep(0.2)


def _ready_names(kube: Any, namespace: str, generation: int) -> set[str]:
    return {str(o["metadata"]["name"]) for o in kube.list(HR_API, "HelmRelease", namespace)
            if _condition(o, "Ready").get("status") == "True"
            and (o.get("status") or {}).get("observedGeneration")
            == o["metadata"]["generation"] == generation}


def _moved_to(record: dict[str, Any], host: str) -> dict[str, Any]:
    """A pending record (one Secret: the chart is small) whose lock names ``host``."""
    from pyhelm.release import codec
    from pyhelm.storage.store import LOCK_FIELD

    release = codec.decode(base64.b64decode(record["data"]["release"]).decode())
    lock = {**release.extra[LOCK_FIELD], "host": host}
    moved = dataclasses.replace(release, extra={**release.extra, LOCK_FIELD: lock})
    record["data"]["release"] = base64.b64encode(codec.encode(moved).encode()).decode()
    return record


def _helmrelease(name: str, namespace: str, source: str, labels: dict[str, str] | None = None
                 ) -> str:
    return json.dumps({"apiVersion": HR_API, "kind": "HelmRelease",
                       "metadata": {"name": name, "namespace": namespace,
                                    "labels": labels or {}},
                       "spec": {"interval": "10m", "timeout": "2m",
                                "chartRef": {"kind": "OCIRepository", "name": source},
                                "values": {"message": name}}})


@pytest.mark.parametrize("elsewhere", [False, True], ids=["same-host", "other-host"])
def test_the_standby_takes_over_a_killed_leaders_rollout(
        env: dict[str, str], namespace: str, kubeconfig: str, tmp_path: Path, kube: Any,
        start: Callable[..., Candidate], elsewhere: bool) -> None:
    with podinfo_source(env, namespace, kubeconfig, tmp_path, crd=False):

        first = start("a", *FAST)
        held = _until("a Lease", lambda: _lease(kube, namespace).get("holderIdentity"),
                      [first.log])
        assert held == first.identity()
        second = start("b", *FAST)
        logs = [first.log, second.log]
        standby = second.identity()
        # the standby is ready (it serves) but does not lead
        _until("standby ready", lambda: second.scrape("/readyz")[0] == 200, logs)
        assert "standing by" in second.scrape("/readyz")[1]
        assert f'leader_election_master_status{{name="{LEASE}"}} 0' in \
            second.scrape("/metrics")[1]
        spec = _lease(kube, namespace)
        assert spec["leaseDurationSeconds"] == 4
        assert spec["acquireTime"].endswith("Z") and len(spec["renewTime"]) == 27
        transitions = int(spec.get("leaseTransitions") or 0)

        names = [f"app-{i:02d}" for i in range(20)]
        _kubectl(env, "apply", "-f", "-", stdin="\n---\n".join(
            _helmrelease(name, namespace, "podinfo") for name in names))

        def fail_over(leader: Candidate, heir: Candidate, generation: int,
                      transitions: int) -> list[str]:
            """Kill ``leader`` while it holds a pending Helm record, some releases done
            (frozen by SIGSTOP first, so that the record seen is the one it leaves); ``heir``
            takes over and brings every release to ``generation``. The names left pending."""
            logs = [leader.log, heir.log]
            heir_id = heir.identity()

            def pending_records() -> list[dict[str, Any]]:
                found: list[dict[str, Any]] = kube.list("v1", "Secret", namespace,
                                                        label_selector=PENDING)
                return found

            deadline = time.monotonic() + 300
            while True:
                assert time.monotonic() < deadline, "no pending record seen mid-rollout"
                if pending_records() and _ready_names(kube, namespace, generation):
                    if elsewhere:
                        heir.process.send_signal(signal.SIGSTOP)
                    leader.process.send_signal(signal.SIGSTOP)
                    if pending_records():
                        break
                    leader.process.send_signal(signal.SIGCONT)
                    if elsewhere:
                        heir.process.send_signal(signal.SIGCONT)
                time.sleep(0.05)
            leader.process.send_signal(signal.SIGKILL)
            leader.process.wait(timeout=10)
            time.sleep(0.5)  # a write it sent before it stopped may land meanwhile
            left = pending_records()
            assert left, "the killed leader's last write finished its pending records"
            pending = [str(p["metadata"]["labels"]["name"]) for p in left]
            assert len(_ready_names(kube, namespace, generation)) < len(names), \
                "the rollout ended before the kill"
            # nothing is reconciled by the standby before it leads
            assert '"action": ' not in heir.log.read_text()
            if elsewhere:
                # as if the dead leader had run on another node: its locks and its Lease
                # name a host where pyhelm cannot look its process up; only fencing frees them
                for record in left:
                    kube.replace(_moved_to(record, "ghost-node"))
                lease = kube.get("coordination.k8s.io/v1", "Lease", LEASE, namespace)
                lease["spec"]["holderIdentity"] = "ghost-node_" + str(uuid.uuid4())
                kube.replace(lease)
                transitions = int(lease["spec"].get("leaseTransitions") or 0)
                heir.process.send_signal(signal.SIGCONT)

            spec = _until("takeover", lambda: (lambda s: s if s.get("holderIdentity") ==
                                               heir_id else None)(_lease(kube, namespace)),
                          logs)
            assert spec["leaseTransitions"] == transitions + 1
            assert "acquired Lease" in heir.log.read_text()
            if elsewhere:  # fenced at once, not after the locks' own 60 s lease
                _until("the ghost's locks fenced", lambda: all(
                    f"{namespace}/{name}: unlocked by pyhelm-controller" in
                    heir.log.read_text() for name in pending), logs, timeout=30)
            _until(f"every release Ready at generation {generation}", lambda: _ready_names(
                kube, namespace, generation) == set(names), logs, timeout=400)
            assert kube.list_metadata("v1", "Secret", namespace, label_selector=PENDING) == []
            # the releases left pending were recovered (failed) and released again
            for name in pending:
                history = json.loads(subprocess.run(
                    [str(peers.helm_binary()), "history", name, "-n", namespace, "-o",
                     "json"], env=env, capture_output=True, text=True, check=True).stdout)
                assert history[-1]["status"] == "deployed", history
                assert all(not h["status"].startswith("pending") for h in history), history
            return pending

        pending = fail_over(first, second, 1, transitions)

        # Events for the results, by pyhelm-controller, and the new leader's metrics
        events = [e for e in kube.list("v1", "Event", namespace)
                  if e.get("reportingComponent") == "pyhelm-controller"]
        installed = {e["involvedObject"]["name"] for e in events
                     if e["reason"] == "InstallSucceeded" and e["type"] == "Normal"
                     and e["reportingInstance"] == standby}
        assert installed >= set(pending)  # those the new leader installed again
        sample = next(e for e in events if e["reason"] == "InstallSucceeded")
        assert sample["involvedObject"]["kind"] == "HelmRelease"
        assert sample["involvedObject"]["apiVersion"] == HR_API
        assert sample["source"]["component"] == "pyhelm-controller"
        assert sample["message"].startswith("Helm install succeeded for release")
        listed = _kubectl(env, "get", "events", "-n", namespace,
                          "--field-selector", "reason=InstallSucceeded", "-o", "name")
        assert len(listed.split()) >= len(installed)
        scraped = second.scrape("/metrics")[1]
        assert f'leader_election_master_status{{name="{LEASE}"}} 1' in scraped
        assert 'workqueue_depth{name="helmrelease"} ' in scraped
        assert 'controller_runtime_reconcile_total{controller="helmrelease",' \
               'result="requeue_after"}' in scraped
        assert 'rest_client_requests_total{code="200",method="PUT"}' in scraped  # Lease
        assert 'rest_client_requests_total{code="201",method="POST"}' in scraped

        # a rollout of upgrades (new values): the leader killed with a pending-upgrade record
        third = start("c", *FAST)
        _until("c standing by", lambda: "standing by" in third.scrape("/readyz")[1],
               [second.log, third.log])
        transitions = int(_lease(kube, namespace).get("leaseTransitions") or 0)
        # (one replica: each upgrade waits for its pod, so a pending record is there to
        # be seen; with no replica, readiness is in the apply's answer and takes no time)
        two = {"message": "two", "replicaCount": 1}
        for name in names:
            _kubectl(env, "patch", "helmreleases.helm.toolkit.fluxcd.io", name, "-n",
                     namespace, "--type=merge", "-p", json.dumps({"spec": {"values": two}}))
        upgrading = fail_over(second, third, 2, transitions)
        assert all(json.loads(subprocess.run(
            [str(peers.helm_binary()), "get", "values", name, "-n", namespace, "-o", "json"],
            env=env, capture_output=True, text=True, check=True).stdout) == two
            for name in upgrading)

        third.process.send_signal(signal.SIGTERM)
        assert third.process.wait(timeout=60) == 0
        assert _lease(kube, namespace)["holderIdentity"] == ""  # released


def test_sigterm_releases_the_lease_and_the_standby_takes_over_at_once(
        env: dict[str, str], namespace: str, kube: Any,
        start: Callable[..., Candidate]) -> None:
    slow = ["--leader-election-lease-duration", "60s", "--leader-election-renew-deadline",
            "40s", "--leader-election-retry-period", "1s"]
    first = start("a", *slow)
    _until("a Lease", lambda: _lease(kube, namespace).get("holderIdentity"), [first.log])
    second = start("b", *slow)
    logs = [first.log, second.log]
    standby = second.identity()
    _until("b standing by", lambda: "standing by" in second.scrape("/readyz")[1], logs)
    transitions = int(_lease(kube, namespace).get("leaseTransitions") or 0)
    stopped = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=60) == 0
    assert '"released the Lease"' in first.log.read_text()
    spec = _until("takeover", lambda: (lambda s: s if s.get("holderIdentity") == standby
                                       else None)(_lease(kube, namespace)), logs, timeout=60)
    assert time.monotonic() - stopped < 20  # not the 60 s lease duration
    assert spec["leaseTransitions"] == transitions + 1
    # the new leader reconciles: a release whose source is missing fails, with an Event
    _kubectl(env, "apply", "-f", "-", stdin=_helmrelease("lonely", namespace, "missing"))

    def failed() -> dict[str, Any] | None:
        obj = kube.get(HR_API, "HelmRelease", "lonely", namespace)
        return obj if _condition(obj, "Ready").get("reason") == "ArtifactFailed" else None

    _until("lonely ArtifactFailed", failed, logs, timeout=120)
    events = _until("a Warning Event", lambda: [
        e for e in kube.list("v1", "Event", namespace)
        if e["involvedObject"].get("name") == "lonely" and e["type"] == "Warning"], logs)
    assert events[0]["reason"] == "ArtifactFailed"
    assert events[0]["reportingInstance"] == standby
    # it fails again every 5 s (--requeue-dependency): one Event, counted
    counted = _until("a counted Event", lambda: [
        e for e in kube.list("v1", "Event", namespace)
        if e["involvedObject"].get("name") == "lonely" and e.get("count", 1) > 1], logs,
        timeout=60)
    assert len(counted) == 1
    from tests.e2e.test_controller import _flux

    listed = _flux(env, "events", "-n", namespace)  # (--for wants spec.chart)
    assert "ArtifactFailed" in listed, listed


def test_shards_split_the_releases_each_with_its_own_lease(
        env: dict[str, str], namespace: str, kube: Any,
        start: Callable[..., Candidate]) -> None:
    shard1 = "sharding.fluxcd.io/key in (shard1)"
    main = "!sharding.fluxcd.io/key"
    one = start("shard1", "--watch-label-selector", shard1, *FAST)
    rest = start("main", "--watch-label-selector", main, *FAST)
    logs = [one.log, rest.log]
    for candidate, selector in ((one, shard1), (rest, main)):
        lease = election_id(selector)
        assert lease.startswith(f"{LEASE}-") and len(lease) == len(LEASE) + 9
        _until(f"{lease} held", lambda lease=lease, c=candidate: _lease(
            kube, namespace, lease).get("holderIdentity") == c.identity(), logs)
    assert _lease(kube, namespace) == {}  # the unsharded Lease is nobody's
    releases = {"s1-a": {"sharding.fluxcd.io/key": "shard1"},
                "s1-b": {"sharding.fluxcd.io/key": "shard1"},
                "s2-a": {"sharding.fluxcd.io/key": "shard2"},
                "main-a": {}, "main-b": {"team": "x"}}
    _kubectl(env, "apply", "-f", "-", stdin="\n---\n".join(
        _helmrelease(name, namespace, "missing", labels) for name, labels in releases.items()))

    def reporters() -> dict[str, str] | None:
        seen: dict[str, str] = {}
        for event in kube.list("v1", "Event", namespace):
            if event.get("reportingComponent") == "pyhelm-controller":
                seen[event["involvedObject"]["name"]] = event["reportingInstance"]
        return seen if {"s1-a", "s1-b", "main-a", "main-b"} <= set(seen) else None

    seen = _until("both shards reconciled", reporters, logs, timeout=120)
    assert seen["s1-a"] == seen["s1-b"] == one.identity()
    assert seen["main-a"] == seen["main-b"] == rest.identity()
    time.sleep(3)  # shard2 has no controller here: nobody touches it
    assert "s2-a" not in (reporters() or seen)
    untouched = kube.get(HR_API, "HelmRelease", "s2-a", namespace)
    assert "conditions" not in (untouched.get("status") or {})  # the CRD's defaults only
    assert not untouched["metadata"].get("finalizers")


def test_a_leader_whose_lease_is_taken_exits_1(
        env: dict[str, str], namespace: str, kube: Any,
        start: Callable[..., Candidate]) -> None:
    leader = start("a", *FAST)
    _until("a Lease", lambda: _lease(kube, namespace).get("holderIdentity")
           == leader.identity(), [leader.log])
    _until("a leads", lambda: leader.scrape("/readyz")[0] == 200, [leader.log])
    # another candidate (as if this one had paused past the lease duration) holds it now
    lease = kube.get("coordination.k8s.io/v1", "Lease", LEASE, namespace)
    lease["spec"]["holderIdentity"] = f"elsewhere_{uuid.uuid4()}"
    kube.replace(lease)
    assert leader.process.wait(timeout=30) == 1  # as controller-runtime: stop at once
    assert '"leader election lost"' in leader.log.read_text()
