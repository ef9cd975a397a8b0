"""The committed HelmRelease CRD is what controller-gen makes today from the Go types of
github.com/fluxcd/helm-controller/api v1.7.1 (never hand-edited)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from pyhelm.testing.crd_gen import CRD_FILE, generate


def test_committed_crd_is_the_generated_one() -> None:
    if shutil.which("go") is None:
        pytest.skip("Go is not installed: the CRD is generated with controller-gen")
    assert CRD_FILE.read_text() == generate(), (
        "regenerate it: python -m pyhelm.testing.crd_gen")


def test_crd_serves_v2_with_the_status_subresource() -> None:
    crd = yaml.safe_load(CRD_FILE.read_text())
    assert crd["metadata"]["name"] == "helmreleases.helm.toolkit.fluxcd.io"
    served = {v["name"]: v for v in crd["spec"]["versions"] if v["served"]}
    v2 = served["v2"]
    assert v2["storage"] and v2["subresources"] == {"status": {}}
    status = v2["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    for field in ("conditions", "history", "lastAttemptedRevision", "observedGeneration",
                  "lastAttemptedConfigDigest", "failures", "installFailures"):
        assert field in status
