"""Chart defaults, parent sections, globals and user values coalesce as in Helm 4: the
values each chart of a tree sees, from pyhelm's ``prepare`` and from ``helm template``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pyhelm.action.values_options import ValueOptions
from pyhelm.chart.loader import load_chart
from pyhelm.chart.prepare import prepare
from pyhelm.testing import peers

pytestmark = pytest.mark.helm
DUMP = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
        "data:\n  values: {{{{ toJson .Values | quote }}}}\n")


def _tree(root: Path) -> Path:
    parent = root / "parent"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
        "- {name: sub, version: 0.1.0, import-values: [{child: exported, parent: .}]}\n")
    (parent / "values.yaml").write_text(
        "global: {env: prod}\nsub: {a: 1, nested: {keep: yes}}\nmine: {x: 1, y: 2}\n")
    (parent / "templates" / "cm.yaml").write_text(DUMP.format(name="{{ .Chart.Name }}"))
    sub = parent / "charts" / "sub"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "values.yaml").write_text(
        "a: 0\nb: 2\nnested: {keep: no, drop: me}\nexported: {fromsub: 1}\n"
        "global: {region: eu}\n")
    (sub / "templates" / "cm.yaml").write_text(DUMP.format(name="{{ .Chart.Name }}"))
    return parent


def _helm(chart: Path, args: list[str], cwd: Path) -> dict[str, Any]:
    out = subprocess.run([str(peers.helm_binary()), "template", "r", str(chart), *args],
                         cwd=cwd, capture_output=True, text=True, check=True,
                         env=peers.helm_env(cwd)).stdout
    seen: dict[str, Any] = {}
    name = ""
    for line in out.splitlines():
        if line.startswith("  name: "):
            name = line.split(": ", 1)[1]
        if line.strip().startswith("values:"):
            seen[name] = json.loads(json.loads(line.split(":", 1)[1]))
    return seen


@pytest.mark.parametrize("sets", [
    [], ["sub.b=null"], ["sub.nested.drop=null", "mine.y=null"], ["sub.a=null"],
    ["global.env=dev", "sub.global.region=us"], ["sub.nested=null"],
], ids=lambda s: " ".join(s) or "defaults")
def test_each_chart_sees_the_values_helm_gives_it(sets: list[str], tmp_path: Path) -> None:
    chart = _tree(tmp_path)
    args = [a for s in sets for a in ("--set", s)]
    helm = _helm(chart, args, tmp_path)
    prepared = prepare(load_chart(chart), ValueOptions(set_values=tuple(sets)).merged())
    mine = {"parent": {k: v for k, v in prepared.values.items()},
            "sub": prepared.values.get("sub")}
    assert json.loads(json.dumps(mine)) == helm
