"""A HelmRelease's values as helm-controller composes them: each ``spec.valuesFrom``
entry in order (a ConfigMap's or Secret's key, parsed as YAML and merged, or, with
``targetPath``, set as a string at that dotted path), then ``spec.values`` on top."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pyhelm.chart.values import merge_maps, parse_mapping, set_path
from pyhelm.controller.spec import HelmRelease, ValuesReference
from pyhelm.errors import KubeNotFoundError, ValuesError, ValuesFromError
from pyhelm.kube.protocol import KubeClient


def _read(kube: KubeClient, namespace: str, ref: ValuesReference) -> str | None:
    """The key's text; None when an optional reference or key is missing."""
    where = f"{ref.kind}/{namespace}/{ref.name}"
    try:
        obj = kube.get("v1", ref.kind, ref.name, namespace)
    except KubeNotFoundError as exc:
        if ref.optional:
            return None
        raise ValuesFromError(f"could not resolve {where}: {exc}") from exc
    data = obj.get("data") or {}
    if ref.values_key not in data:
        if ref.optional:
            return None
        raise ValuesFromError(f"missing key '{ref.values_key}' in {where}")
    value = data[ref.values_key]
    if ref.kind == "Secret":
        try:
            return base64.b64decode(value).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValuesFromError(f"{where}: key '{ref.values_key}' is not text") from exc
    return str(value)


def compose_values(kube: KubeClient, hr: HelmRelease) -> dict[str, Any]:
    """The values the release is installed or upgraded with."""
    values: dict[str, Any] = {}
    for ref in hr.values_from:
        text = _read(kube, hr.namespace, ref)
        if text is None:
            continue
        if ref.target_path:
            set_path(values, ref.target_path, text)
            continue
        try:
            parsed = parse_mapping(text, f"{ref.kind}/{hr.namespace}/{ref.name}",
                                   ValuesFromError)
        except ValuesError as exc:
            raise ValuesFromError(str(exc)) from exc
        values = merge_maps(values, parsed)
    return merge_maps(values, hr.values)
