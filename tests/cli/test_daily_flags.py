"""Helm 4's daily flags on install/upgrade: --wait strategies and --hide-notes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.cli.main import wait_strategy_flags

ROOT = Path(__file__).resolve().parents[2]
PYHELM = str(Path(sys.executable).with_name("pyhelm"))


@pytest.mark.parametrize(("argv", "expected"), [
    (["install", "--wait", "web", "c"], ["install", "--wait", "web", "c"]),
    (["install", "web", "c", "--wait=watcher"], ["install", "web", "c", "--wait"]),
    (["install", "web", "c", "--wait=legacy"], ["install", "web", "c", "--wait"]),
    (["install", "web", "c", "--wait=hookOnly"], ["install", "web", "c"]),
    (["install", "web", "c", "--", "--wait=hookOnly"],
     ["install", "web", "c", "--", "--wait=hookOnly"]),
])
def test_wait_strategies_as_helm_4_names_them(argv: list[str], expected: list[str]) -> None:
    assert wait_strategy_flags(argv) == expected


def test_unknown_wait_strategy_and_hide_notes(tmp_path: Path) -> None:
    bad = subprocess.run([PYHELM, "install", "web", str(ROOT / "charts" / "demo"),
                          "--dry-run=client", "--wait=sometimes"], capture_output=True,
                         text=True, check=False)
    assert bad.returncode == 1
    assert 'invalid wait input "sometimes"' in bad.stderr
    args = [PYHELM, "install", "web", str(ROOT / "charts" / "demo"), "--dry-run=client",
            "--kubeconfig", str(tmp_path / "none")]
    shown = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    hidden = subprocess.run([*args, "--hide-notes"], capture_output=True, text=True,
                            check=True).stdout
    assert "NOTES:" in shown and "NOTES:" not in hidden


def test_create_from_a_starter_matches_helm(tmp_path: Path) -> None:
    """``create --starter NAME`` (from $HELM_DATA_HOME/starters) and with an absolute path:
    the same chart as Helm makes, rendering the same."""
    from pyhelm.testing import peers

    env = peers.helm_env(tmp_path)
    helm = str(peers.helm_binary())
    starters = Path(env["HELM_DATA_HOME"]) / "starters"
    starters.mkdir(parents=True)
    subprocess.run([helm, "create", str(starters / "base")], env=env, check=True,
                   capture_output=True)
    (starters / "base" / "templates" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: <CHARTNAME>-extra\n")
    for tool, where in ((helm, "h"), (PYHELM, "p")):
        (tmp_path / where).mkdir()
        for starter in ("base", str(starters / "base")):
            name = "named" if starter == "base" else "pathed"
            done = subprocess.run([tool, "create", name, "--starter", starter], cwd=tmp_path /
                                  where, env=env, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
    for name in ("named", "pathed"):
        rendered = [subprocess.run([helm, "template", "r", str(tmp_path / where / name)],
                                   env=env, capture_output=True, text=True, check=True).stdout
                    for where in ("h", "p")]
        assert rendered[0] == rendered[1]
        assert f"name: {name}-extra" in rendered[1]
        files = [sorted(p.relative_to(tmp_path / where / name).as_posix()
                        for p in (tmp_path / where / name).rglob("*") if p.is_file())
                 for where in ("h", "p")]
        assert files[0] == files[1]


@pytest.mark.helm
@pytest.mark.parametrize("flags", [["--dry-run=client"], ["--dry-run=client", "--hide-secret"],
                                   ["--hide-secret"]])
def test_dry_run_prints_hooks_and_manifest_and_hides_secrets_as_helm(
        tmp_path: Path, flags: list[str]) -> None:
    """A dry run prints HOOKS and MANIFEST (Helm's printer does for "Dry run complete");
    --hide-secret replaces each Secret by a note, and needs a dry run."""
    from pyhelm.testing import peers

    chart = tmp_path / "hs"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: hs\nversion: 0.1.0\n")
    (chart / "templates" / "all.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-s\n"
        "stringData:\n  p: hunter2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: {{ .Release.Name }}-c\n")
    env = peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0")
    args = ["install", "x", str(chart), *flags, "--kubeconfig", str(tmp_path / "none")]
    helm = subprocess.run([str(peers.helm_binary()), *args], capture_output=True, text=True,
                          env=env, check=False)
    mine = subprocess.run([PYHELM, *args], capture_output=True, text=True, env=env,
                          check=False)
    assert mine.returncode == helm.returncode
    if helm.returncode == 0:
        def masked(text: str) -> str:
            return "\n".join(line for line in text.splitlines()
                             if not line.startswith("LAST DEPLOYED"))
        assert masked(mine.stdout) == masked(helm.stdout)
        assert ("hunter2" in mine.stdout) == ("--hide-secret" not in flags)
    else:
        assert mine.stderr == "Error: hiding Kubernetes secrets requires a dry-run mode\n"
