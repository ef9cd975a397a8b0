"""Global flags in any position, Helm's environment variables, ``env``, ``help``,
typo suggestions and shell completion, through the installed ``pyhelm`` script and
(where Helm is the reference) beside Helm 4."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyhelm.testing.peers import helm_binary, helm_env

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "pyhelm"


@pytest.fixture
def ns_chart(tmp_path: Path) -> str:
    """A chart whose one object names the release namespace."""
    chart = tmp_path / "nschart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: nschart\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
        "  namespace: {{ Release.Namespace }}\n")
    return str(chart)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment without the caller's HELM_/PYHELM_ settings, homes under ``home``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "PYHELM_"))}
    return {**base, "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "XDG_CACHE_HOME": str(home / "xdg-cache"), **extra}


def pyhelm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          check=False, timeout=120)


def rendered_namespaces(output: str) -> set[str]:
    return {line.split(":", 1)[1].strip() for line in output.splitlines()
            if line.strip().startswith("namespace:")}


@pytest.mark.parametrize("args", [
    ["template", "web", "CHART", "-n", "shop"],
    ["-n", "shop", "template", "web", "CHART"],
    ["template", "-n", "shop", "web", "CHART"],
    ["--namespace", "other", "template", "web", "CHART", "--namespace=shop"],  # last wins
])
def test_namespace_flag_in_any_position(tmp_path: Path, ns_chart: str, args: list[str]
                                        ) -> None:
    args = [ns_chart if a == "CHART" else a for a in args]
    done = pyhelm(*args, "--debug", env=clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert rendered_namespaces(done.stdout) == {"shop"}


def test_helm_namespace_variable_and_flag_precedence(tmp_path: Path, ns_chart: str) -> None:
    env = clean_env(tmp_path, HELM_NAMESPACE="from-env")
    done = pyhelm("template", "web", ns_chart, env=env)
    assert rendered_namespaces(done.stdout) == {"from-env"}
    done = pyhelm("template", "web", ns_chart, "-n", "from-flag", env=env)
    assert rendered_namespaces(done.stdout) == {"from-flag"}
    # pyhelm's own twin wins over Helm's name
    done = pyhelm("template", "web", ns_chart, env={**env, "PYHELM_NAMESPACE": "twin"})
    assert rendered_namespaces(done.stdout) == {"twin"}


def test_every_global_flag_is_accepted_before_between_and_after(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    (tmp_path / "repos.yaml").write_text("repositories:\n- name: r\n  url: http://r.example\n")
    flags = ["--kube-context", "c", "--kubeconfig", str(tmp_path / "kc"), "--debug",
             "--kube-token", "t", "--kube-apiserver", "https://127.0.0.1:1",
             "--kube-as-user", "u", "--kube-as-group", "g", "--kube-ca-file", str(ca),
             "--kube-insecure-skip-tls-verify", "--kube-tls-server-name", "s",
             "--burst-limit", "5", "--qps", "2", "--registry-config", str(tmp_path / "r.json"),
             "--repository-config", str(tmp_path / "repos.yaml"),
             "--repository-cache", str(tmp_path / "cache"),
             "--content-cache", str(tmp_path / "content"), "--color", "never", "-n", "x"]
    env = clean_env(tmp_path)
    for args in (["repo", *flags, "list"], [*flags, "repo", "list"], ["repo", "list", *flags]):
        done = pyhelm(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.split() == ["NAME", "URL", "r", "http://r.example"], done.stdout


def test_repository_config_flag_and_variable_choose_the_file(tmp_path: Path) -> None:
    repos = tmp_path / "repos.yaml"
    repos.write_text("apiVersion: ''\nrepositories:\n- name: mine\n  url: http://x.example\n")
    env = clean_env(tmp_path)
    assert "mine" not in pyhelm("repo", "list", env=env).stdout
    flagged = pyhelm("repo", "--repository-config", str(repos), "list", "-o", "json", env=env)
    assert '"mine"' in flagged.stdout, flagged.stderr
    from_env = pyhelm("repo", "list", env={**env, "HELM_REPOSITORY_CONFIG": str(repos)})
    assert "mine" in from_env.stdout


def _as_dict(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


@pytest.mark.parametrize("flags", [
    [],
    ["-n", "ns2", "--kube-context", "ctx2", "--qps", "3", "--burst-limit", "7",
     "--registry-config", "/r/c.json", "--repository-cache", "/r/cache",
     "--content-cache", "/r/content", "--kube-insecure-skip-tls-verify", "--debug"],
])
def test_env_prints_what_helm_env_prints(tmp_path: Path, flags: list[str]) -> None:
    variables = {"HELM_CONFIG_HOME": str(tmp_path / "c"), "HELM_CACHE_HOME": str(tmp_path / "k"),
                 "HELM_DATA_HOME": str(tmp_path / "d"), "HELM_KUBEASGROUPS": "a,b",
                 "HELM_QPS": "2.5", "HELM_DEBUG": "true", "HELM_MAX_HISTORY": "7",
                 "HELM_KUBECONTEXT": "ctx", "HELM_NAMESPACE": "ns1",
                 "HELM_KUBEASUSER": "me", "HELM_KUBETOKEN": "tok",
                 "HELM_KUBEAPISERVER": "https://127.0.0.1:6443", "HELM_KUBECAFILE": "/ca.pem",
                 "HELM_REPOSITORY_CONFIG": "/x/r.yaml", "HELM_BURST_LIMIT": "50"}
    if flags:  # a plugin path list (the default, $HELM_DATA_HOME/plugins, without flags)
        variables["HELM_PLUGINS"] = f"{tmp_path}/p1:{tmp_path}/p2"
    helm = subprocess.run([str(helm_binary()), "env", *flags], capture_output=True, text=True,
                          env=helm_env(tmp_path, **variables), check=True)
    ours = pyhelm("env", *flags, env=clean_env(tmp_path, **variables))
    assert ours.returncode == 0, ours.stderr
    theirs, mine = _as_dict(helm.stdout), _as_dict(ours.stdout)
    assert list(mine) == list(theirs)  # same keys, same (sorted) order
    del theirs["HELM_BIN"], mine["HELM_BIN"]
    assert mine == theirs
    one = pyhelm("env", "HELM_NAMESPACE", *flags, env=clean_env(tmp_path, **variables))
    assert one.stdout == _as_dict(helm.stdout)["HELM_NAMESPACE"].strip('"') + "\n"


def test_helm_driver_variable_is_validated(tmp_path: Path) -> None:
    done = pyhelm("list", env=clean_env(tmp_path, HELM_DRIVER="sql-nope",
                                        KUBECONFIG=str(tmp_path / "none")))
    assert done.returncode != 0
    assert "unknown storage driver" in done.stderr or "kubeconfig" in done.stderr
    bad = pyhelm("env", env=clean_env(tmp_path, HELM_MAX_HISTORY="many"))
    assert bad.returncode != 0 and "HELM_MAX_HISTORY='many': not a number" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_typo_suggests_the_verb_like_helm(tmp_path: Path) -> None:
    done = pyhelm("templat", env=clean_env(tmp_path))
    assert done.returncode == 1
    assert 'Error: unknown command "templat" for "pyhelm"' in done.stderr
    assert "Did you mean this?\n\ttemplate\n" in done.stderr
    helm = subprocess.run([str(helm_binary()), "templat"], capture_output=True, text=True,
                          env=helm_env(tmp_path), check=False)
    assert "Did you mean this?\n\ttemplate\n" in helm.stderr


def test_help_verb_prints_the_verb_help(tmp_path: Path) -> None:
    done = pyhelm("help", "repo", "add", env=clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: pyhelm repo add [OPTIONS] NAME URL")
    assert pyhelm("help", "install", env=clean_env(tmp_path)).stdout.startswith(
        "Usage: pyhelm install")
    assert pyhelm("help", "nosuch", env=clean_env(tmp_path)).returncode == 1


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_completion_scripts(tmp_path: Path, shell: str) -> None:
    done = pyhelm("completion", shell, env=clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "_PYHELM_COMPLETE" in done.stdout


def test_bash_completion_answers_verbs_and_subverbs(tmp_path: Path) -> None:
    env = clean_env(tmp_path, _PYHELM_COMPLETE="bash_complete")
    verbs = pyhelm(env={**env, "COMP_WORDS": "pyhelm templ", "COMP_CWORD": "1"})
    assert verbs.stdout.splitlines() == ["plain,template"]
    sub = pyhelm(env={**env, "COMP_WORDS": "pyhelm -n x repo a", "COMP_CWORD": "4"})
    assert sub.stdout.splitlines() == ["plain,add"]
