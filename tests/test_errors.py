"""The error tree: every class is a PyhelmError, lives in pyhelm.errors, is documented,
and Kubernetes API errors carry the server's status, reason and details."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import pyhelm
from pyhelm import errors
from pyhelm.kube.client import connect


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_error_is_a_pyhelm_error() -> None:
    for name in dir(errors):
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, errors.PyhelmError)
            assert value.exit_code in (1, 2)


def test_every_pyhelm_error_in_the_package_is_in_the_one_tree() -> None:
    # import every module, so that a class defined anywhere is among the subclasses
    for module in pkgutil.walk_packages(pyhelm.__path__, "pyhelm."):
        if module.name != "pyhelm.__main__":
            importlib.import_module(module.name)
    classes = _all_subclasses(errors.PyhelmError)
    assert len(classes) >= 20
    for cls in classes:
        assert cls.__module__ == "pyhelm.errors", f"{cls.__qualname__} in {cls.__module__}"
        assert getattr(errors, cls.__name__) is cls
        assert (cls.__dict__.get("__doc__") or "").strip(), f"{cls.__name__}: no docstring"
        assert f" {cls.__name__} " in f" {errors.__doc__} ".replace("\n", " "), \
            f"{cls.__name__} is not drawn in pyhelm.errors' docstring"


def test_public_api_is_lazy_and_complete() -> None:
    for name in pyhelm.__all__:
        assert getattr(pyhelm, name) is not None


@pytest.mark.cluster
def test_api_errors_carry_status_reason_and_details(kubeconfig: str, namespace: str) -> None:
    client = connect(kubeconfig=kubeconfig)
    with pytest.raises(errors.KubeNotFoundError) as missing:
        client.get("v1", "ConfigMap", "absent", namespace)
    assert (missing.value.status, missing.value.reason) == (404, "NotFound")
    assert (missing.value.details.name, missing.value.details.kind) == ("absent", "configmaps")

    made = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "twice", "namespace": namespace}, "data": {"a": "1"}}
    client.create(made)
    with pytest.raises(errors.KubeConflictError) as twice:
        client.create(made)
    assert (twice.value.status, twice.value.reason) == (409, "AlreadyExists")

    shared = {**made, "metadata": {"name": "shared", "namespace": namespace}}
    client.apply(shared, field_manager="someone-else")
    with pytest.raises(errors.KubeConflictError) as fields:
        client.apply({**shared, "data": {"a": "3"}}, field_manager="pyhelm-test")
    assert (fields.value.status, fields.value.reason) == (409, "Conflict")
    assert "FieldManagerConflict" in fields.value.cause_reasons
    assert ".data.a" in {cause.field for cause in fields.value.details.causes}
    assert str(fields.value).endswith("(use --force-conflicts to take these fields over)")

    with pytest.raises(errors.KubeInvalidError) as invalid:
        client.create({**made, "metadata": {"name": "Not_Valid", "namespace": namespace}})
    assert (invalid.value.status, invalid.value.reason) == (422, "Invalid")
    assert invalid.value.details.causes
    client.close()
