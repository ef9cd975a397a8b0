"""Hook ordering, completion rules, delete policies and failure messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from pyhelm.action.apply import ReleaseRef
from pyhelm.action.hooks import HookFailedError, HookSettings, completion, hooks_for, run_hooks
from pyhelm.engine.documents import parse_manifests
from pyhelm.engine.manifest import Hook, as_hook
from pyhelm.kube.protocol import KubeClient, KubeObject

if TYPE_CHECKING:
    from tests.action.conftest import DictKube


def hook(name: str, events: str, weight: int = 0, policy: str | None = None,
         kind: str = "Job") -> Hook:
    text = (f"apiVersion: batch/v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
            f"  annotations:\n    helm.sh/hook: {events}\n    helm.sh/hook-weight: '{weight}'\n")
    if policy:
        text += f"    helm.sh/hook-delete-policy: {policy}\n"
    found = as_hook(parse_manifests(text, f"demo/templates/{name}.yaml")[0])
    assert found is not None
    return found


def settings(failures: dict[str, str] | None = None) -> HookSettings:
    def waiter(kube: KubeClient, obj: KubeObject, deadline: float) -> str | None:
        return (failures or {}).get(obj["metadata"]["name"])

    return HookSettings(release=ReleaseRef("web", "prod"), timeout=5,
                        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC), waiter=waiter,
                        await_deletion=lambda kube, obj, timeout: None)


def test_hooks_for_selects_the_event_and_orders_by_weight_then_name() -> None:
    hooks = [hook("b", "pre-install", 1), hook("a", "pre-install", 1),
             hook("first", "pre-install,pre-upgrade", -5), hook("post", "post-install")]
    assert [h.manifest.name for h in hooks_for(hooks, "pre-install")] == ["first", "a", "b"]
    assert [h.manifest.name for h in hooks_for(hooks, "pre-upgrade")] == ["first"]


def test_completion_of_jobs_and_pods() -> None:
    job = {"kind": "Job", "status": {"conditions": [
        {"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}}
    assert completion(job) == (True, "BackoffLimitExceeded")
    assert completion({"kind": "Job", "status": {}}) == (False, None)
    assert completion({"kind": "Pod", "status": {"phase": "Succeeded"}}) == (True, None)
    assert completion({"kind": "ConfigMap"}) == (True, None)


def test_succeeded_hooks_are_recorded_and_deleted_by_policy(dict_kube: DictKube) -> None:
    kube = dict_kube
    runs = run_hooks(kube, [hook("keep-me", "post-install"),
                            hook("gone", "post-install", 2, "hook-succeeded")],
                     "post-install", settings())
    assert [(r.name, r.phase) for r in runs] == [("keep-me", "Succeeded"), ("gone", "Succeeded")]
    assert list(kube.objects) == [("Job", "prod", "keep-me")]
    # before-hook-creation is the default: the old copy goes before the new one is made
    assert kube.calls[:2] == ["delete Job/keep-me", "apply Job/keep-me"]


def test_a_failing_hook_names_itself_and_stops_the_rest(dict_kube: DictKube) -> None:
    kube = dict_kube
    with pytest.raises(HookFailedError, match=r'hook "migrate" .*failed: BackoffLimitExceeded'):
        run_hooks(kube, [hook("migrate", "pre-upgrade", 0, "hook-failed"),
                         hook("later", "pre-upgrade", 9)],
                  "pre-upgrade", settings({"migrate": "BackoffLimitExceeded"}))
    assert kube.objects == {}
    assert "apply Job/later" not in kube.calls
