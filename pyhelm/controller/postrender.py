"""The post-renderers helm-controller runs on every release, in its order: the
HelmRelease's ``spec.postRenderers`` (kustomize patches and images), then
``spec.commonMetadata``, then the origin labels ``helm.toolkit.fluxcd.io/name`` and
``/namespace`` (on every object: how a watch finds the HelmRelease an object belongs to).

Kustomize is kustomize itself, not an imitation: ``$PYHELM_KUSTOMIZE`` (a ``kustomize``
or ``kubectl`` binary), else ``kustomize`` or ``kubectl`` on PATH, run on a kustomization
of the rendered stream. Strategic merge patches need the Kubernetes schemas it carries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhelm import yamlio
from pyhelm.controller.spec import HelmRelease, KustomizePostRenderer, ObjectSelector
from pyhelm.errors import RenderError

ORIGIN_NAME = "helm.toolkit.fluxcd.io/name"
ORIGIN_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"
KUSTOMIZE_TIMEOUT = 60.0


def origin_labels(hr: HelmRelease) -> dict[str, str]:
    return {ORIGIN_NAME: hr.name, ORIGIN_NAMESPACE: hr.namespace}


def _target(selector: ObjectSelector | None) -> dict[str, str]:
    if selector is None:
        return {}
    fields = {"group": selector.group, "version": selector.version, "kind": selector.kind,
              "name": selector.name, "namespace": selector.namespace,
              "labelSelector": selector.label_selector,
              "annotationSelector": selector.annotation_selector}
    return {key: value for key, value in fields.items() if value}


def kustomization(renderer: KustomizePostRenderer, resources: str) -> dict[str, Any]:
    """The kustomization.yaml that applies ``renderer`` to the file ``resources``."""
    doc: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1",
                           "kind": "Kustomization", "resources": [resources]}
    if renderer.patches:
        doc["patches"] = [{"patch": p.patch, **({"target": _target(p.target)}
                                                 if p.target else {})}
                          for p in renderer.patches]
    if renderer.images:
        doc["images"] = [{key: value for key, value in (
            ("name", i.name), ("newName", i.new_name), ("newTag", i.new_tag),
            ("digest", i.digest)) if value} for i in renderer.images]
    return doc


def kustomize_command() -> list[str]:
    """How to run ``kustomize build`` here, or a RenderError saying what is missing."""
    given = os.environ.get("PYHELM_KUSTOMIZE", "")
    found = given or shutil.which("kustomize") or shutil.which("kubectl") or ""
    if not found:
        raise RenderError("spec.postRenderers: kustomize is needed (install kustomize or "
                          "kubectl, or set PYHELM_KUSTOMIZE to either)")
    return [found, "kustomize"] if "kubectl" in Path(found).name else [found, "build"]


def _kustomize(renderer: KustomizePostRenderer, stream: str) -> str:
    with tempfile.TemporaryDirectory(prefix="pyhelm-kustomize-") as tmp:
        directory = Path(tmp)
        (directory / "resources.yaml").write_text(stream)
        (directory / "kustomization.yaml").write_text(
            yamlio.dump(kustomization(renderer, "resources.yaml"), sort_keys=False))
        try:
            done = subprocess.run([*kustomize_command(), str(directory)],
                                  capture_output=True, timeout=KUSTOMIZE_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"spec.postRenderers: kustomize: {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines() or ["failed"]
        raise RenderError(f"spec.postRenderers: kustomize: {reason[-1]}")
    return done.stdout.decode()


def _with_metadata(doc: dict[str, Any], labels: Mapping[str, str],
                   annotations: Mapping[str, str]) -> dict[str, Any]:
    meta = dict(doc.get("metadata") or {})
    if labels:
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
    if annotations:
        meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
    return {**doc, "metadata": meta}


@dataclass(frozen=True)
class ControllerPostRenderer:
    """The post-rendering of one HelmRelease (a ``StreamRenderer``)."""

    hr: HelmRelease

    def run(self, stream: str) -> str:
        for renderer in self.hr.post_renderers:
            stream = _kustomize(renderer, stream)
        labels = {**self.hr.common_labels, **origin_labels(self.hr)}
        try:
            docs = yamlio.load_all(stream)
        except yamlio.YamlSyntaxError as exc:
            raise RenderError(f"post-rendering: {exc}") from None
        return "---\n".join(
            yamlio.dump(_with_metadata(doc, labels, self.hr.common_annotations),
                        sort_keys=False)
            for doc in docs if isinstance(doc, dict))
