"""The controller loop with a fake API: every release in scope is reconciled, a failing
one and a slow one never hold up the others, a release runs again after its interval,
and stop() ends the loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from pyhelm.controller.loop import Controller, ControllerOptions
from pyhelm.controller.reconcile import ReconcileResult
from pyhelm.kube.protocol import WatchEvent


def _hr(name: str) -> dict[str, Any]:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": "apps", "generation": 1,
                         "resourceVersion": "7"}}


class ListOnlyKube:
    namespace = "apps"

    def __init__(self, names: list[str]) -> None:
        self.objects = {n: _hr(n) for n in names}
        self.watched = threading.Event()

    def list_with_version(self, api_version: str, kind: str, namespace: str | None = None,
                          label_selector: str | None = None
                          ) -> tuple[list[dict[str, Any]], str]:
        assert namespace == "apps" and label_selector == "team=web"
        return list(self.objects.values()), "7"

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[WatchEvent]:
        assert kwargs["resource_version"] == "7"
        self.watched.set()
        time.sleep(0.05)
        return iter(())

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        return self.objects[name]


def test_failing_and_slow_releases_do_not_block_the_others() -> None:
    kube = ListOnlyKube(["slow", "bad", "good"])
    calls: list[str] = []
    seen = threading.Condition()
    release_slow = threading.Event()

    def reconcile(_: Any, obj: dict[str, Any]) -> ReconcileResult:
        name = obj["metadata"]["name"]
        with seen:
            calls.append(name)
            seen.notify_all()
        if name == "slow":
            release_slow.wait(10)
        if name == "bad":
            raise RuntimeError("boom")
        return ReconcileResult(key=f"apps/{name}", action="install", ready=True,
                               reason="InstallSucceeded", message="ok",
                               requeue_after=0.2 if name == "good" else None)

    logs: list[str] = []
    controller = Controller(lambda: kube, ControllerOptions(  # type: ignore[arg-type,return-value]
        namespace="apps", concurrent=2, label_selector="team=web"), log=logs.append,
        reconcile=reconcile)
    runner = threading.Thread(target=controller.run)
    runner.start()
    try:
        with seen:
            # "good" comes back after its interval while "slow" still holds a worker
            assert seen.wait_for(lambda: calls.count("good") >= 2, timeout=20), calls
        assert "slow" in calls and "bad" in calls
        assert any("apps/bad: unexpected RuntimeError: boom" in line for line in logs)
        assert kube.watched.is_set()
    finally:
        release_slow.set()
        controller.stop()
        runner.join(timeout=20)
    assert not runner.is_alive()


def test_a_key_has_one_timer_however_often_it_is_stepped() -> None:
    from pyhelm.controller.loop import WorkQueue

    queue = WorkQueue()
    runs: list[float] = []
    started = time.monotonic()

    def worker() -> None:
        while (key := queue.get()) is not None:
            runs.append(time.monotonic() - started)
            queue.add_after(key, 1.0)  # each step asks for the next interval
            queue.done(key)

    thread = threading.Thread(target=worker)
    thread.start()
    queue.add("apps/web")  # a first sight...
    time.sleep(0.3)
    queue.add("apps/web")  # ...and a step no timer began (a new generation, a drift event)
    time.sleep(3.0)
    queue.close()
    thread.join()
    # two steps at once, then one per second: a timer per step would double each second
    assert 3 <= len(runs) <= 5, runs


def test_a_drift_event_queues_only_a_release_this_controller_watches() -> None:
    controller = Controller(lambda: ListOnlyKube([]),  # type: ignore[arg-type, return-value]
                            ControllerOptions(namespace="apps"))
    controller._observe("ADDED", _hr("mine"))
    controller.queue.get()  # its first sight
    controller.queue.done("apps/mine")
    controller._drifted("other/theirs")  # another namespace's (or another shard's)
    controller._drifted("apps/mine")
    assert controller.queue.depth() == 1
    assert controller.queue.get() == "apps/mine"


def test_a_release_deleted_while_the_watch_was_down_is_forgotten_at_the_next_list() -> None:
    kube = ListOnlyKube(["a", "b"])
    controller = Controller(lambda: kube,  # type: ignore[arg-type, return-value]
                            ControllerOptions(namespace="apps", label_selector="team=web"))
    controller._stopping.set()  # _events lists, then watches until stopped: list only
    for event, obj in controller._events(kube):  # type: ignore[arg-type]
        controller._observe(event, obj)
    del kube.objects["b"]  # deleted while no watch ran
    for event, obj in controller._events(kube):  # type: ignore[arg-type]
        controller._observe(event, obj)
    assert set(controller._cache) == {"apps/a"}
    depth = controller.queue.depth()
    controller._drifted("apps/b")
    assert controller.queue.depth() == depth
