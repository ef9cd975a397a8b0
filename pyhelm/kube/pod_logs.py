"""A pod's logs (``GET .../pods/NAME/log``), which are text, not a JSON object.

A client that has its own ``pod_log(name, namespace)`` is asked for them; the REST
client is asked through its transport, so this module is the only place outside
``pyhelm.kube.client`` that knows it has one.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pyhelm.errors import KubeError, KubeNotFoundError, KubeUnreachableError
from pyhelm.kube.transport import TransportError


def read(client: Any, name: str, namespace: str) -> str:
    own = getattr(client, "pod_log", None)
    if callable(own):
        return str(own(name, namespace))
    transport = getattr(client, "transport", None)
    if transport is None:
        raise KubeError(f"this Kubernetes client cannot read the logs of pod {name}")
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/log"
    try:
        answer = transport.request("GET", path, headers={"Accept": "*/*"})
    except TransportError as exc:
        raise KubeUnreachableError(f"cannot reach the API server at {transport.server}: "
                                   f"{exc}") from exc
    text = str(answer.body.decode("utf-8", errors="replace"))
    if answer.status >= 400:
        raise _status_error(answer.status, text)
    return text


def _status_error(status: int, text: str) -> KubeError:
    try:
        body = json.loads(text)
    except ValueError:
        body = {}
    message = str(body.get("message") or text.strip() or f"HTTP {status}")
    reason = str(body.get("reason") or "")
    kind = KubeNotFoundError if status == 404 else KubeError
    return kind(message, status=status, reason=reason)
