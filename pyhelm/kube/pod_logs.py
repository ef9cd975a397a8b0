"""A pod's logs (``GET .../pods/NAME/log``), which are text, not a JSON object.

A client that has its own ``pod_log(name, namespace)`` is asked for them; the REST
client is asked through its one raw request (``_send``), so this module is the only
place that knows it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from pyhelm.errors import KubeError, KubeNotFoundError


def read(client: Any, name: str, namespace: str) -> str:
    own = getattr(client, "pod_log", None)
    if callable(own):
        return str(own(name, namespace))
    send = getattr(client, "_send", None)
    if not callable(send):
        raise KubeError(f"this Kubernetes client cannot read the logs of pod {name}")
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/log"
    response = send("GET", path, accept="*/*")
    data = response.data
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
    if response.status >= 400:
        raise _status_error(response.status, text)
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
