"""spec.valuesFrom as helm-controller composes it: references in order, targetPath as a
string, optional ones skipped, spec.values last; a missing one is a clear error."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pyhelm.controller.spec import parse_helmrelease
from pyhelm.controller.values import compose_values
from pyhelm.errors import KubeNotFoundError, ValuesFromError


class Objects:
    def __init__(self, *objects: dict[str, Any]) -> None:
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in objects}

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        assert namespace == "apps"
        try:
            return self.objects[(kind, name)]
        except KeyError:
            raise KubeNotFoundError(f'{kind.lower()}s "{name}" not found') from None


def _hr(values_from: list[dict[str, Any]], values: dict[str, Any]) -> Any:
    return parse_helmrelease({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"interval": "1m", "chartRef": {"kind": "OCIRepository", "name": "c"},
                 "valuesFrom": values_from, "values": values}})


KUBE = Objects(
    {"kind": "ConfigMap", "metadata": {"name": "base"},
     "data": {"values.yaml": "replicaCount: 2\nimage: {tag: '1.0', pull: Always}\n"}},
    {"kind": "Secret", "metadata": {"name": "creds"},
     "data": {"password": base64.b64encode(b"s3cr,et").decode(),
              "values.yaml": base64.b64encode(b"image: {tag: '2.0'}\n").decode()}})


def test_references_merge_in_order_and_spec_values_win() -> None:
    hr = _hr([{"kind": "ConfigMap", "name": "base"},
              {"kind": "Secret", "name": "creds"},
              {"kind": "Secret", "name": "creds", "valuesKey": "password",
               "targetPath": "db.password"},
              {"kind": "ConfigMap", "name": "absent", "optional": True}],
             {"replicaCount": 3})
    assert compose_values(KUBE, hr) == {  # type: ignore[arg-type]
        "replicaCount": 3, "image": {"tag": "2.0", "pull": "Always"},
        "db": {"password": "s3cr,et"}}


def test_missing_reference_and_key_are_named() -> None:
    with pytest.raises(ValuesFromError, match="could not resolve ConfigMap/apps/absent"):
        compose_values(KUBE, _hr([{"kind": "ConfigMap", "name": "absent"}], {}))  # type: ignore[arg-type]
    with pytest.raises(ValuesFromError, match="missing key 'other' in ConfigMap/apps/base"):
        compose_values(KUBE, _hr([{"kind": "ConfigMap", "name": "base",  # type: ignore[arg-type]
                                   "valuesKey": "other"}], {}))
