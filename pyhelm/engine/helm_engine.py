"""Rendering Helm (Go template) charts with Helm's own engine, in a helper process.

pyhelm does not re-implement Go's text/template, Sprig and go-yaml: ``helm-engine``
(built from ``tools/helm-engine``, pinned to the Helm release ``pyhelm.helm_reference``
names) loads the chart, merges the user's values with Helm's parsers, renders, and splits
and sorts the manifests as Helm does. This module finds that binary, sends it one JSON
request on stdin and turns the JSON reply into the same ``Rendered`` that Jinja2 charts
produce, so everything after rendering (apply, hooks, waits, storage) is shared by both
engines.

``engine_process`` finds and starts the binary; ``engine_pool`` keeps long-running ones
for a process that renders again and again.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyhelm.engine import engine_pool, engine_process
from pyhelm.engine.helm_inputs import KubeTarget, ReuseRule, ValueSources
from pyhelm.engine.manifest import Hook, Manifest, Rendered
from pyhelm.errors import RenderError

if TYPE_CHECKING:
    from pyhelm.engine.release_info import ReleaseContext


@dataclass(frozen=True, kw_only=True)
class EngineRequest:
    chart_path: Path
    release: ReleaseContext
    values: ValueSources
    kube_version: str | None = None  # None: Helm's default (as `helm template`)
    api_versions: tuple[str, ...] = ()
    cluster: bool = False  # api_versions are the cluster's, not extras to Helm's defaults
    reuse: ReuseRule | None = None
    kube: KubeTarget | None = None
    objects: bool = False  # parse each manifest (install needs them; template does not)
    skip_schema_validation: bool = False
    subchart_notes: bool = False
    enable_dns: bool = False
    timeout: float = 60.0
    max_output_bytes: int = 64 << 20
    max_memory_bytes: int = 2 << 30


@dataclass(frozen=True)
class EngineResult:
    rendered: Rendered
    config: dict[str, Any]  # the user's values as Helm records them in the release
    deprecated: bool = False  # the chart is marked deprecated
    skipped_hooks: tuple[str, ...] = ()  # helm.sh/hook values of objects left out


def call(request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Run the helper once; its chart errors come back as RenderError."""
    reply = exchange(request, timeout)
    if reply.get("error"):
        raise RenderError(str(reply["error"]))
    return reply


def exchange(request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Run the helper once and return its reply, an error in it included; a helper that
    cannot run or answers nothing readable raises RenderError. A process that serves
    renders (the controller) asks one of its long-running engines instead."""
    pool = engine_pool.current()
    if pool is not None:
        return pool.exchange(request, timeout)
    try:
        process = engine_process.start()
        stdout, stderr = process.communicate(json.dumps(request).encode(),
                                             timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RenderError(f"the Helm engine did not answer within {timeout + 10:g}s") from None
    except OSError as exc:
        raise RenderError(f"cannot run the Helm engine: {exc.strerror}") from exc
    try:
        reply: dict[str, Any] = json.loads(stdout)
    except ValueError:
        lines = stderr.decode(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "no output"
        raise RenderError(f"the Helm engine failed (exit {process.returncode}): {last}"
                          ) from None
    return reply


def _request_json(request: EngineRequest) -> dict[str, Any]:
    capabilities = {"cluster": request.cluster, "kubeVersion": request.kube_version or "",
                    "apiVersions": list(request.api_versions)}
    values = request.values.as_json()
    if request.reuse is not None:
        values.update(reuse=request.reuse.mode,
                      previousConfig=dict(request.reuse.previous_config),
                      previousChartValues=dict(request.reuse.previous_chart_values))
    release = request.release
    payload: dict[str, Any] = {
        "op": "render", "chartPath": str(request.chart_path),
        "release": {"name": release.name, "namespace": release.namespace,
                    "revision": release.revision, "isUpgrade": release.is_upgrade},
        "capabilities": capabilities, "values": values,
        "render": {"skipSchemaValidation": request.skip_schema_validation,
                   "subchartNotes": request.subchart_notes, "objects": request.objects,
                   "enableDNS": request.enable_dns},
        "limits": {"timeoutSeconds": request.timeout,
                   "maxOutputBytes": request.max_output_bytes,
                   "maxMemoryBytes": request.max_memory_bytes},
    }
    if request.kube is not None:
        kube = request.kube
        payload["kube"] = {
            "kubeconfig": kube.kubeconfig or "", "context": kube.context or "",
            "token": kube.token or "", "server": kube.apiserver or "",
            "caFile": kube.ca_file or "", "insecure": kube.insecure_skip_tls_verify,
            "tlsServerName": kube.tls_server_name or "", "asUser": kube.as_user or "",
            "asGroups": list(kube.as_groups)}
    return payload


def render(request: EngineRequest) -> EngineResult:
    """Render a Helm chart; manifests come in Helm's install order, hooks as Helm lists
    them (by kind within the files' order), CRDs as the chart's crds/ files."""
    reply = call(_request_json(request), request.timeout)
    manifests = tuple(_manifest(item, request.objects) for item in reply.get("manifests") or ())
    hooks = tuple(Hook(_manifest(item, request.objects), tuple(item.get("events") or ()),
                       int(item.get("weight") or 0), tuple(item.get("deletePolicies") or ()))
                  for item in reply.get("hooks") or ())
    crds = tuple(crd for item in reply.get("crds") or () for crd in _crds(item, request.objects))
    rendered = Rendered(manifests=manifests, hooks=hooks, crds=crds,
                        notes=str(reply.get("notes") or ""), templates={})
    return EngineResult(rendered, dict(reply.get("config") or {}),
                        deprecated=bool(reply.get("deprecated")),
                        skipped_hooks=tuple(str(h) for h in reply.get("skippedHooks") or ()))


def _manifest(item: Mapping[str, Any], with_object: bool) -> Manifest:
    obj: dict[str, Any] = dict(item.get("object") or {}) if with_object else {}
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = metadata.get("namespace") if metadata else None
    return Manifest(template=str(item["name"]), content=str(item["content"]), obj=obj,
                    api_version=str(item.get("apiVersion") or ""),
                    kind=str(item.get("kind") or ""), name=str(item.get("objectName") or ""),
                    namespace=str(namespace) if namespace else None)


def _crds(item: Mapping[str, Any], with_objects: bool) -> list[Manifest]:
    """A crds/ file: as Helm prints it (one entry, the file's text) for ``template``;
    as the objects it holds when they are to be applied."""
    from pyhelm.engine.documents import parse_manifests

    text, name = str(item["data"]), str(item["filename"])
    if with_objects:
        return parse_manifests(text, name)
    return [Manifest(template=name, content=text, obj={}, api_version="",
                     kind="CustomResourceDefinition", name="", namespace=None)]


def lint(chart_path: Path, values: ValueSources, *, namespace: str,
         kube_version: str | None, skip_schema_validation: bool,
         timeout: float = 60.0) -> list[tuple[str, str, str]]:
    """Helm's lint rules: (severity, path, message) per finding."""
    reply = call({"op": "lint", "chartPath": str(chart_path), "values": values.as_json(),
                  "capabilities": {"kubeVersion": kube_version or ""},
                  "render": {"skipSchemaValidation": skip_schema_validation},
                  "lint": {"namespace": namespace},
                  "limits": {"timeoutSeconds": timeout}}, timeout)
    return [(str(m["severity"]), str(m["path"]), str(m["message"]))
            for m in reply.get("messages") or ()]


def version() -> dict[str, Any]:
    return call({"op": "version"}, 30.0).get("version") or {}
