"""Version constraints decide exactly as Masterminds/semver v3 (Helm's library): each pair
is checked by pyhelm and by ``semverCompare`` in a chart rendered with ``helm template``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyhelm.chart.semver import Constraint, SemverError, Version
from pyhelm.testing import peers

pytestmark = pytest.mark.helm

PAIRS = [
    ("!=1.2", "1.2.0"), ("!=1.2", "1.2.5"), ("!=1.2", "1.3.0"), ("!=1.x", "1.4.0"),
    ("!=1.x", "2.0.0"), ("!=*", "1.0.0"), ("=>1.2.0", "1.2.0"), ("=<1.2.0", "1.1.0"),
    ("=<1.2.0", "1.3.0"), (">=1.0.0-0 <2.0.0", "1.5.0-beta.1"),
    (">=1.0.0-alpha, <2.0.0", "1.5.0-beta.1"), (">=1.0.0, <2.0.0", "1.5.0-beta.1"),
    ("~0.0.0", "0.0.5"), ("~0.0.0", "0.1.0"), ("~0", "0.9.0"), ("~1.2", "1.2.9"),
    ("~1.2", "1.3.0"), ("^0.0.3", "0.0.4"), ("^0.2.3", "0.2.9"), ("^0.2.3", "0.3.0"),
    ("^1.2.x", "1.9.0"), ("1.2 - 1.4.5", "1.4.6"), ("1.2 - 1.4", "1.4.9"),
    ("1.x || >=2.5.0", "2.4.0"), ("1.x || >=2.5.0", "2.5.1"), (">1.2", "1.2.9"),
    ("<1.2", "1.1.9"), ("<=1.2", "1.2.9"), ("=1.2", "1.2.7"), ("1.2.3-beta.2", "1.2.3-beta.2"),
    (">1.2.3-beta.2", "1.2.3-beta.10"), ("*", "1.0.0-rc.1"), (">=0.0.0", "1.0.0-rc.1"),
    ("~1.2.3-beta.2", "1.2.3-beta.4"), ("^1.2.3-beta.2", "1.3.0-beta.1"), ("1.x.3x", "1.5.0"),
    ("1.x.3x", "2.0.0"), ("<1.2.3-beta", "1.2.3-alpha"), ("!=1.2.x", "1.2.3-beta"),
]


def test_constraints_decide_as_helms_semver(tmp_path: Path) -> None:
    chart = tmp_path / "semver"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: semver\nversion: 0.1.0\n")
    lines = "".join(f'  p{i}: {{{{ semverCompare "{c}" "{v}" | quote }}}}\n'
                    for i, (c, v) in enumerate(PAIRS))
    (chart / "templates" / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n{lines}")
    out = subprocess.run([str(peers.helm_binary()), "template", "r", str(chart)],
                         capture_output=True, text=True, check=True,
                         env=peers.helm_env(tmp_path)).stdout
    helm = {line.split(":")[0].strip(): line.split('"')[1] == "true"
            for line in out.splitlines() if line.strip().startswith("p")}
    mine = {f"p{i}": Constraint.parse(c).allows(Version.parse(v))
            for i, (c, v) in enumerate(PAIRS)}
    differing = {PAIRS[int(k[1:])]: helm[k] for k in helm if helm[k] != mine[k]}
    assert differing == {}


def test_a_leading_zero_in_a_prerelease_number_is_refused() -> None:
    with pytest.raises(SemverError, match="version segment starts with 0"):
        Version.parse("1.2.3-beta.01")
