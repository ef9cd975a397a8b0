"""The README's "Signing and verifying charts" lines run exactly as written, in order, in
bash: GnuPG makes the key in a scratch ``$HOME``, pyhelm signs charts/demo with it, pyhelm
and Helm 4.3.1 verify the archive, and ``template --verify`` renders it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing import peers

pytestmark = pytest.mark.helm
ROOT = Path(__file__).resolve().parents[2]
TITLE = "Signing and verifying charts (provenance)"


def section_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]
    return [line[4:] for line in section.splitlines()
            if line.startswith("    ") and not line.startswith("     ")]


def test_signing_lines(tmp_path: Path) -> None:
    lines = section_lines()
    assert len(lines) == 5 and lines[0].startswith("gpg ")
    home = tmp_path / "home"
    (home / ".gnupg").mkdir(parents=True, mode=0o700)
    work = tmp_path / "work"
    shutil.copytree(ROOT / "charts" / "demo", work / "charts" / "demo")
    path = os.pathsep.join([str(peers.helm_binary().parent), str(Path(sys.executable).parent),
                            os.environ.get("PATH", "")])
    env = {**peers.helm_env(tmp_path, PYHELM_COMMAND_SERVER="0"), "HOME": str(home),
           "PATH": path}
    env.pop("GNUPGHOME", None)
    try:
        for line in lines:
            result = subprocess.run(["bash", "-c", line], cwd=work, env=env, text=True,
                                    capture_output=True, timeout=120, check=False)
            assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
            if line.startswith("pyhelm verify"):
                assert result.stdout.count("Signed by: Chart Signer <charts@example.com>") == 2
            if line.startswith("pyhelm template"):
                assert "kind: Service" in result.stdout
    finally:  # the gpg-agent the first line started
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True,
                       check=False)
    assert (work / "demo-0.1.0.tgz.prov").is_file()
