"""A readiness wait outlives an API server that goes away for a moment (a restart, an
overload answered with 503), as client-go's watchers do; an error about the objects
themselves still ends it at once, and a lasting outage ends in a timeout that names it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pyhelm.errors import KubeError, KubeForbiddenError, KubeUnreachableError, WaitTimeoutError
from pyhelm.kube import wait
from pyhelm.kube.protocol import ResourceInfo, WatchEvent

DEPLOYMENT = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}


class FlakyServer:
    """Lists fail with ``errors`` (in turn) before the object is listed, ready."""

    namespace = "default"

    def __init__(self, errors: list[KubeError]) -> None:
        self.errors = list(errors)
        self.lists = 0

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo:
        return ResourceInfo(api_version=api_version, kind=kind, plural="configmaps",
                            namespaced=True)

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict[str, Any]]:
        self.lists += 1
        if self.errors:
            raise self.errors.pop(0)
        return [DEPLOYMENT]

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None
            ) -> dict[str, Any]:
        """The one object of a group of one is read by name: the same failures."""
        return self.list(api_version, kind, namespace)[0]

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[WatchEvent]:
        return iter(())


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wait, "RETRY_PAUSES", (0.01, 0.02))


@pytest.mark.parametrize("error", [
    KubeUnreachableError("cannot reach the API server at https://x: Connection reset by peer"),
    KubeUnreachableError("watch ConfigMap: the stream broke: Connection refused"),
    KubeError("the server is currently unable to handle the request", status=503),
    KubeError("too many requests", status=429),
])
def test_a_wait_outlives_a_short_outage(error: KubeError) -> None:
    server = FlakyServer([error, error, error])
    wait.wait_for(server, [DEPLOYMENT], timeout=10)  # type: ignore[arg-type]
    assert not server.errors and server.lists >= 4


def test_an_answer_about_the_objects_still_ends_the_wait() -> None:
    server = FlakyServer([KubeForbiddenError("configmaps is forbidden", status=403)])
    with pytest.raises(Exception, match="forbidden"):
        wait.wait_for(server, [DEPLOYMENT], timeout=10)  # type: ignore[arg-type]
    assert server.lists == 1


def test_a_lasting_outage_times_out_naming_the_error() -> None:
    down = KubeUnreachableError("cannot reach the API server at https://x: Connection refused")
    server = FlakyServer([down] * 10_000)
    with pytest.raises(WaitTimeoutError, match="last error: cannot reach the API server"):
        wait.wait_for(server, [DEPLOYMENT], timeout=0.5)  # type: ignore[arg-type]
