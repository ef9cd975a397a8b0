"""Plugin provenance beside Helm 4.3.1 (issue 25): ``plugin package --sign``, ``plugin
verify`` and ``plugin install`` of a tarball (verified by default), with GnuPG-made keys:
each verifies what the other signs, and both refuse a tampered tarball and an unknown
key with the same message and exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.plugin_fixtures import PYHELM, helm, run, v1_plugin
from tests.signing_keys import USER_IDS, Keys, make_keys

pytestmark = pytest.mark.helm
TOOLS = {"helm": helm, "pyhelm": lambda: PYHELM}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("plugin-keys"))


def _package(tool: str, home: Path, keys: Keys, signer: str) -> Path:
    source = v1_plugin(home / "src" / "hello", "hello",
                       runtime_config="  platformCommand:\n    - command: echo\n")
    out = home / "out"
    result = run(TOOLS[tool](), home, "plugin", "package", str(source), "-d", str(out),
                 "--key", USER_IDS[signer], "--keyring", str(keys.secring),
                 GNUPGHOME=str(keys.home))
    assert result.returncode == 0, result.stderr
    assert "Successfully signed. Signature written to: " in result.stdout
    return out / "hello-0.1.0.tgz"


@pytest.mark.parametrize("signer_tool", ["helm", "pyhelm"])
def test_each_verifies_and_installs_what_either_signs(keys: Keys, tmp_path: Path,
                                                       signer_tool: str) -> None:
    tarball = _package(signer_tool, tmp_path / "signer", keys, "ed")
    results = {tool: run(TOOLS[tool](), tmp_path / tool, "plugin", "verify", str(tarball),
                         "--keyring", str(keys.pubring))
               for tool in TOOLS}
    assert results["helm"].returncode == 0, results["helm"].stderr
    assert (results["pyhelm"].returncode, results["pyhelm"].stdout) == \
        (0, results["helm"].stdout)
    assert f"Signed by: {USER_IDS['ed']}" in results["pyhelm"].stdout
    installs = {tool: run(TOOLS[tool](), tmp_path / f"install-{tool}", "plugin", "install",
                          str(tarball), "--keyring", str(keys.pubring))
                for tool in TOOLS}
    assert installs["helm"].returncode == 0, installs["helm"].stderr
    assert (installs["pyhelm"].returncode, installs["pyhelm"].stdout) == \
        (0, installs["helm"].stdout)


@pytest.mark.parametrize("case", ["tampered", "unknown key"])
def test_both_refuse(keys: Keys, tmp_path: Path, case: str) -> None:
    tarball = _package("helm", tmp_path / "signer", keys,
                       "other" if case == "unknown key" else "ed")
    if case == "tampered":
        bad = tmp_path / "bad" / tarball.name
        bad.parent.mkdir()
        bad.write_bytes(tarball.read_bytes()[:-8] + b"\0" * 8)
        shutil.copy(f"{tarball}.prov", f"{bad}.prov")
        tarball = bad
    for verb in (["plugin", "verify"], ["plugin", "install"]):
        results = {tool: run(TOOLS[tool](), tmp_path / f"{verb[1]}-{tool}", *verb,
                             str(tarball), "--keyring", str(keys.pubring))
                   for tool in TOOLS}
        helm_result, mine = results["helm"], results["pyhelm"]
        assert helm_result.returncode == 1, (verb, helm_result.stdout)
        assert (mine.returncode, mine.stderr) == (1, helm_result.stderr), verb
    assert not (tmp_path / "install-pyhelm" / "helm-data" / "plugins" / "hello").exists()
