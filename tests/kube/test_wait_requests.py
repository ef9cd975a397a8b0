"""What a readiness wait asks of the API server: objects that were ready in the apply's
answer cost no request, and a group of one object is read by name and watched with a
``metadata.name`` field selector, so a release in a namespace of a thousand others never
lists theirs (the controller benchmark's N² lists); several objects of a kind are still
listed once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pyhelm.errors import KubeNotFoundError
from pyhelm.kube import wait
from pyhelm.kube.protocol import ResourceInfo, WatchEvent

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "5"}}
SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "6"},
           "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.9"}}


def deployment(name: str, observed: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "apps", "generation": 2,
                         "resourceVersion": "7"},
            "spec": {"replicas": 0},
            "status": {"observedGeneration": observed}}


class Server:
    """Answers GETs, lists and watches from ``objects``; the watch sends ``events``;
    records every request."""

    namespace = "apps"

    def __init__(self, objects: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        self.objects, self.events = objects, events
        self.requests: list[tuple[Any, ...]] = []

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        return ResourceInfo(api_version=api_version, kind=kind, plural=kind.lower() + "s",
                            namespaced=True)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        self.requests.append(("GET", kind, name))
        for obj in self.objects:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise KubeNotFoundError(f"{kind} {name} not found")

    def list_with_version(self, api_version: str, kind: str, namespace: str | None = None,
                          label_selector: str | None = None
                          ) -> tuple[list[dict[str, Any]], str]:
        self.requests.append(("LIST", kind))
        return [o for o in self.objects if o["kind"] == kind], "10"

    def watch(self, api_version: str, kind: str, namespace: str | None = None,
              field_selector: str | None = None, label_selector: str | None = None,
              resource_version: str | None = None, timeout_seconds: int | None = None
              ) -> Iterator[WatchEvent]:
        self.requests.append(("WATCH", kind, field_selector, resource_version))
        for event in self.events:
            if event["kind"] == kind:
                yield WatchEvent("MODIFIED", event)


class Refusing(Server):
    def get(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("no request expected")

    def list_with_version(self, *args: Any, **kwargs: Any) -> tuple[list[Any], str]:
        raise AssertionError("no request expected")

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[WatchEvent]:
        raise AssertionError("no request expected")


def test_objects_ready_in_the_apply_answer_cost_no_request() -> None:
    server = Refusing([], [])
    wait.wait_for(server, [CONFIGMAP, SERVICE, deployment("web", observed=2)],  # type: ignore[arg-type]
                  timeout=5, live=True)


def test_one_object_of_a_kind_is_read_by_name_and_watched_by_field_selector() -> None:
    server = Server([deployment("web", observed=1)], [deployment("web", observed=2)])
    wait.wait_for(server, [CONFIGMAP, deployment("web", observed=1)],  # type: ignore[arg-type]
                  timeout=5, live=True)
    assert ("GET", "Deployment", "web") in server.requests
    assert ("WATCH", "Deployment", "metadata.name=web", "7") in server.requests
    assert not [r for r in server.requests if r[0] == "LIST" or r[1] == "ConfigMap"]


def test_an_object_not_there_yet_is_watched_from_now() -> None:
    server = Server([], [deployment("web", observed=2)])
    wait.wait_for(server, [deployment("web", observed=1)], timeout=5)  # type: ignore[arg-type]
    assert ("WATCH", "Deployment", "metadata.name=web", None) in server.requests


def test_several_objects_of_a_kind_are_listed_once() -> None:
    objects = [deployment("a", observed=2), deployment("b", observed=2)]
    server = Server(objects, [])
    wait.wait_for(server, [deployment("a", observed=1), deployment("b", observed=1)],  # type: ignore[arg-type]
                  timeout=5, live=True)
    assert ("LIST", "Deployment") in server.requests
    assert not [r for r in server.requests if r[0] == "GET"]


def test_without_live_objects_are_read_even_when_they_look_ready() -> None:
    """Manifests (not answers) prove nothing: a ConfigMap that is not there is waited for."""
    server = Server([], [])
    with pytest.raises(wait.WaitTimeoutError, match="ConfigMap/apps/web"):
        wait.wait_for(server, [CONFIGMAP], timeout=0.5)  # type: ignore[arg-type]
    assert ("GET", "ConfigMap", "web") in server.requests
