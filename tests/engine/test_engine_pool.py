"""Long-running helm-engine processes (``helm-engine --serve``, the controller's): they
answer as a process per render does, are reused, and a render that breaks a limit or
an engine that died is never reused; the next render gets a new process. Runs the real
engine binary."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyhelm.engine import engine_pool, helm_engine
from pyhelm.errors import RenderError

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
data:
  message: {{ .Values.message | quote }}
"""
LOOP = "{{- range $i := until 100000 }}{{ range $j := until 100000 }}{{ end }}{{ end }}"


def _chart(root: Path, name: str, template: str) -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("message: hello\n")
    (chart / "templates" / "t.yaml").write_text(template)
    return chart


def _request(chart: Path, release: str, timeout: float = 30.0) -> dict[str, Any]:
    return {"op": "render", "chartPath": str(chart),
            "release": {"name": release, "namespace": "default", "revision": 1,
                        "isUpgrade": False},
            "capabilities": {"cluster": False, "kubeVersion": "", "apiVersions": []},
            "values": {}, "render": {"objects": True},
            "limits": {"timeoutSeconds": timeout, "maxMemoryBytes": 2 << 30}}


@pytest.fixture
def pool() -> Iterator[engine_pool.EnginePool]:
    served = engine_pool.serve_renders(keep=1)
    yield served
    engine_pool.stop_serving()


def _pids(pool: engine_pool.EnginePool) -> list[int]:
    return [served.process.pid for served in pool._idle]


def test_served_renders_answer_as_a_process_per_render_does(
        tmp_path: Path, pool: engine_pool.EnginePool) -> None:
    chart = _chart(tmp_path, "plain", CONFIGMAP)
    served = [helm_engine.exchange(_request(chart, f"r{i}"), 30.0) for i in range(3)]
    [pid] = _pids(pool)
    engine_pool.stop_serving()
    alone = [helm_engine.exchange(_request(chart, f"r{i}"), 30.0) for i in range(3)]
    assert served == alone
    assert served[2]["manifests"][0]["objectName"] == "r2-cm"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopping the pool ended its engines


def test_one_engine_serves_render_after_render(tmp_path: Path,
                                               pool: engine_pool.EnginePool) -> None:
    chart = _chart(tmp_path, "plain", CONFIGMAP)
    helm_engine.exchange(_request(chart, "one"), 30.0)
    first = _pids(pool)
    helm_engine.exchange(_request(chart, "two"), 30.0)
    assert _pids(pool) == first


def test_a_render_that_breaks_its_time_limit_ends_its_engine(
        tmp_path: Path, pool: engine_pool.EnginePool) -> None:
    plain = _chart(tmp_path, "plain", CONFIGMAP)
    helm_engine.exchange(_request(plain, "before"), 30.0)
    [used] = _pids(pool)
    looping = _chart(tmp_path, "loop", LOOP)
    with pytest.raises(RenderError, match="rendering took longer than 1s"):
        helm_engine.call(_request(looping, "loop", timeout=1.0), 1.0)
    assert _pids(pool) == []  # the engine ended and was not kept
    with pytest.raises(ProcessLookupError):
        os.kill(used, 0)
    reply = helm_engine.exchange(_request(plain, "after"), 30.0)
    assert reply["manifests"][0]["objectName"] == "after-cm"
    assert _pids(pool) and _pids(pool) != [used]


def test_an_idle_engine_that_died_is_replaced_without_failing_the_render(
        tmp_path: Path, pool: engine_pool.EnginePool) -> None:
    chart = _chart(tmp_path, "plain", CONFIGMAP)
    helm_engine.exchange(_request(chart, "one"), 30.0)
    [pid] = _pids(pool)
    os.kill(pid, signal.SIGKILL)
    pool._idle[0].process.wait()
    reply = helm_engine.exchange(_request(chart, "two"), 30.0)
    assert reply["manifests"][0]["objectName"] == "two-cm"
    assert _pids(pool) != [pid]


def test_concurrent_renders_never_share_an_engine(tmp_path: Path,
                                                  pool: engine_pool.EnginePool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    chart = _chart(tmp_path, "plain", CONFIGMAP)
    with ThreadPoolExecutor(6) as threads:
        replies = list(threads.map(
            lambda i: helm_engine.exchange(_request(chart, f"r{i}"), 30.0), range(24)))
    assert [r["manifests"][0]["objectName"] for r in replies] == [f"r{i}-cm"
                                                                  for i in range(24)]
    assert len(_pids(pool)) == 1  # keep=1: the others ended once done
