"""charts/chart-repository rendered: which credentials the server is started with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pyhelm import yamlio

CHART = Path(__file__).resolve().parents[2] / "charts" / "chart-repository"


def render(*sets: str) -> dict[str, Any]:
    """The chart's objects by kind, rendered with ``--set`` for each of ``sets``."""
    done = subprocess.run([sys.executable, "-m", "pyhelm", "template", "charts", str(CHART),
                           *(arg for s in sets for arg in ("--set", s))],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {doc["kind"]: doc for doc in yamlio.load_all(done.stdout) if doc}


def server_container(objects: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = objects["Deployment"]["spec"]["template"]["spec"][
        "containers"][0]
    return container


def test_a_token_only_install_starts_the_server_without_a_username() -> None:
    objects = render("auth.token=t0ken")
    container = server_container(objects)
    assert "--enable-upload" in container["args"]
    assert not [a for a in container["args"] if a.startswith("--username")]
    assert objects["Secret"]["stringData"] == {"token": "t0ken"}  # no empty password
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]
            if "valueFrom" in e}
    assert all(ref["optional"] is True for ref in refs.values())  # keys left out are fine


def test_a_password_install_passes_the_username() -> None:
    objects = render("auth.password=s3cret", "auth.username=ci")
    assert "--username=ci" in server_container(objects)["args"]
    assert objects["Secret"]["stringData"] == {"password": "s3cret"}


def test_an_existing_secret_may_hold_a_password_the_chart_cannot_see() -> None:
    """The server ignores the username when the Secret has no password (it says so)."""
    objects = render("auth.existingSecret=charts-credentials")
    assert "Secret" not in objects
    container = server_container(objects)
    assert "--username=admin" in container["args"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]
            if "valueFrom" in e} == {"charts-credentials"}
