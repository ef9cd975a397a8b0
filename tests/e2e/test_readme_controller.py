"""The command lines of the README's controller section, as written: the generated CRD
applied with kubectl, then ``pyhelm controller`` for one namespace, which answers
``/readyz`` once it has listed its HelmReleases and stops cleanly on SIGTERM; then the
chart installed with Helm on the main shard."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pyhelm.testing import peers
from tests.e2e.test_readme_commands import section_commands

pytestmark = [pytest.mark.cluster, pytest.mark.helm]
ROOT = Path(__file__).resolve().parents[2]
SECTION = "Flux HelmRelease controller (`pyhelm controller`, issue 24)"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_controller_section_lines(kubeconfig: str, tmp_path: Path) -> None:
    apply_crd, run_controller, install_chart = section_commands(SECTION)
    env = {**os.environ, "KUBECONFIG": kubeconfig,
           "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                    str(peers.kubectl_binary().parent), os.environ["PATH"]])}
    kubectl = str(peers.kubectl_binary())
    subprocess.run([kubectl, "create", "namespace", "apps"], env=env, capture_output=True,
                   check=False)
    done = subprocess.run(["bash", "-c", apply_crd], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert run_controller.endswith("&")
    controller = subprocess.Popen(["bash", "-c", run_controller.rstrip('&')],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _ready("http://127.0.0.1:19440/readyz"):
            assert controller.poll() is None, controller.communicate()[0]
            assert time.monotonic() < deadline, "the controller never became ready"
            time.sleep(0.2)
        assert _ready("http://127.0.0.1:18080/metrics")
        controller.send_signal(signal.SIGTERM)
        output, _ = controller.communicate(timeout=60)
        assert controller.returncode == 0, output
        assert "Traceback" not in output
    finally:
        if controller.poll() is None:
            os.killpg(controller.pid, signal.SIGKILL)
            controller.wait()
        subprocess.run([kubectl, "delete", "namespace", "apps", "--wait=false"], env=env,
                       capture_output=True, check=False)
    env = peers.helm_env(tmp_path / "home", KUBECONFIG=kubeconfig,
                         PATH=os.pathsep.join([str(peers.helm_binary().parent),
                                               env["PATH"]]))
    try:
        done = subprocess.run(["bash", "-c", install_chart], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        args = json.loads(subprocess.run(
            [kubectl, "get", "deployment", "pyhelm-controller", "-n", "pyhelm-system", "-o",
             "jsonpath={.spec.template.spec.containers[0].args}"], env=env,
            capture_output=True, text=True, check=True).stdout)
        assert "--watch-label-selector=!sharding.fluxcd.io/key" in args
        assert "--enable-leader-election=true" in args
    finally:
        subprocess.run([str(peers.helm_binary()), "uninstall", "pyhelm-controller", "-n",
                        "pyhelm-system"], env=env, capture_output=True, check=False)
        subprocess.run([kubectl, "delete", "namespace", "pyhelm-system", "--wait=false"],
                       env=env, capture_output=True, check=False)
