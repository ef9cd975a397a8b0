"""``pyhelm plugin list`` beside ``helm plugin list``: the same table, byte for byte, for
Helm 4's layout and the legacy Helm 3 layout of every kind, over a path list of
directories, with ``--type``, the ``ls`` alias, plugins that fail to load, and the
PROVENANCE Helm works out from the data home (local dev, unsigned, unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .plugin_fixtures import (
    BUILT_IN_DIFF,
    PYHELM,
    helm,
    legacy_plugin,
    run,
    v1_plugin,
    with_built_in,
    write,
)

pytestmark = pytest.mark.helm


def many_plugins(root: Path) -> str:
    """Two plugin directories holding one plugin of each kind; returns $HELM_PLUGINS."""
    first, second = root / "first", root / "second"
    legacy_plugin(first / "legacy-cli", """name: legacy-cli
version: 1.2.3
usage: "say hello"
description: |-
  A longer text
command: "$HELM_PLUGIN_DIR/run.sh"
ignoreFlags: true
hooks:
  install: "echo installed"
""")
    legacy_plugin(first / "s3", """name: s3
version: "0.16.2"
downloaders:
- command: "bin/helm-s3 download"
  protocols: [s3]
- command: "bin/helm-s3 download"
  protocols: ["s3a"]
""")
    legacy_plugin(first / "noversion", "name: noversion\ncommand: echo\n")
    v1_plugin(first / "renderer", "renderer", "postrenderer/v1", version="0.3.0",
              runtime_config="  platformCommand:\n  - command: cat\n")
    v1_plugin(second / "greeter", "greeter", version="2.0.0-rc.1",
              extra="sourceURL: https://example.com/greeter\n",
              config="  shortHelp: greet\n  usage: greeter [NAME]\n",
              runtime_config="  platformCommand:\n  - command: echo\n    args: [hi]\n")
    v1_plugin(second / "getter", "gs", "getter/v1", version="1.0.0",
              config="  protocols: [gs, gcs]\n",
              runtime_config="  protocolCommands:\n  - protocols: [gs, gcs]\n"
                             "    platformCommand:\n    - command: get.sh\n")
    return f"{first}:{second}"


def both(tmp_path: Path, *args: str, **env: str) -> tuple[str, str]:
    """The stdout of Helm (with the built-in diff's row) and of pyhelm for the same
    command; both must succeed."""
    theirs = run(helm(), tmp_path, *args, **env)
    mine = run(PYHELM, tmp_path, *args, **env)
    assert theirs.returncode == 0, theirs.stderr
    assert mine.returncode == 0, mine.stderr
    kind = args[args.index("--type") + 1] if "--type" in args else ""
    return with_built_in(theirs.stdout, kind), mine.stdout


def test_every_kind_listed_as_helm_lists_it(tmp_path: Path) -> None:
    plugins = many_plugins(tmp_path)
    theirs, mine = both(tmp_path, "plugin", "list", HELM_PLUGINS=plugins)
    assert mine == theirs
    assert "s3        \t0.16.2    \tgetter/v1" in mine  # legacy downloaders: a getter
    assert "legacy-cli\t1.2.3     \tcli/v1         \tlegacy" in mine
    assert "https://example.com/greeter" in mine


@pytest.mark.parametrize("kind", ["cli/v1", "getter/v1", "postrenderer/v1", "nothing/v9"])
def test_type_filter_and_alias(tmp_path: Path, kind: str) -> None:
    plugins = many_plugins(tmp_path)
    theirs, mine = both(tmp_path, "plugin", "ls", "--type", kind, HELM_PLUGINS=plugins)
    assert mine == theirs


def test_no_plugins_prints_the_header(tmp_path: Path) -> None:
    theirs, mine = both(tmp_path, "plugin", "list", "--type", "getter/v1",
                        HELM_PLUGINS=str(tmp_path / "none"))
    assert mine == theirs == "NAME\tVERSION\tTYPE\tAPIVERSION\tPROVENANCE\tSOURCE\n"


def test_the_built_in_diff_is_listed_unless_a_plugin_is_called_diff(tmp_path: Path) -> None:
    """helmfile looks for diff in `helm plugin list`: pyhelm lists its own diff (helm-diff's
    version); an installed plugin of that name is listed instead, as Helm lists it."""
    _, mine = both(tmp_path, "plugin", "list", HELM_PLUGINS=str(tmp_path / "none"))
    assert [cell.strip() for cell in mine.splitlines()[1].split("\t")] == BUILT_IN_DIFF
    plugins = tmp_path / "plugins"
    legacy_plugin(plugins / "helm-diff", "name: diff\nversion: 3.9.14\ncommand: echo\n")
    theirs = run(helm(), tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    mine_run = run(PYHELM, tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    assert mine_run.stdout == theirs.stdout and "3.9.14" in mine_run.stdout


def test_broken_plugins_are_left_out_with_helms_warning(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    legacy_plugin(plugins / "ok", "name: ok\nversion: 0.1.0\n")
    legacy_plugin(plugins / "badname", "name: 'bad name'\n")
    legacy_plugin(plugins / "badversion", "name: badversion\nversion: '1.0'\n")
    v1_plugin(plugins / "unknown-key", "unknown", extra="foo: 1\n")
    v1_plugin(plugins / "no-protocols", "noprotocols", "getter/v1")
    write(plugins / "not-yaml", {"plugin.yaml": "name: [\n"})
    write(plugins / "api-v9", {"plugin.yaml": "apiVersion: v9\nname: x\n"})
    theirs = run(helm(), tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    mine = run(PYHELM, tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    assert mine.returncode == theirs.returncode == 0
    assert mine.stdout == with_built_in(theirs.stdout)
    assert mine.stdout.count("\n") == 3  # the header, "ok" and the built-in diff
    warnings = [line for line in theirs.stderr.splitlines() if "badname" in line
                or "badversion" in line or "unknown-key" in line][-3:]
    assert len(warnings) == 3
    for line in warnings:  # Helm prints them twice (loading its commands, then listing)
        assert line in mine.stderr.splitlines()


def test_two_plugins_claiming_one_name_fail_as_in_helm(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    legacy_plugin(plugins / "a", "name: twin\n")
    legacy_plugin(plugins / "b", "name: twin\n")
    theirs = run(helm(), tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    mine = run(PYHELM, tmp_path, "plugin", "list", HELM_PLUGINS=str(plugins))
    assert theirs.returncode == mine.returncode == 1
    message = (f'Error: two plugins claim the name "twin" at "{plugins / "a"}" and '
               f'"{plugins / "b"}"\n')
    assert theirs.stderr.endswith(message) and mine.stderr == message


def test_provenance_as_helm_works_it_out(tmp_path: Path) -> None:
    """The column looks at $HELM_DATA_HOME/plugins/NAME whatever $HELM_PLUGINS says: a
    symlink is "local dev", a directory without its tarball "unsigned", a tarball with a
    .prov that is no clear-signed message "invalid provenance", elsewhere "unknown"."""
    data_plugins = tmp_path / "helm-data" / "plugins"
    source = legacy_plugin(tmp_path / "src" / "linked", "name: linked\nversion: 0.1.0\n")
    data_plugins.mkdir(parents=True)
    (data_plugins / "linked").symlink_to(source)
    legacy_plugin(data_plugins / "copied", "name: copied\nversion: 0.2.0\n")
    legacy_plugin(data_plugins / "badprov", "name: badprov\nversion: 0.3.0\n")
    (data_plugins / "badprov-0.3.0.tgz").write_bytes(b"not really a tarball")
    (data_plugins / "badprov-0.3.0.tgz.prov").write_text("not a signed message\n")
    legacy_plugin(tmp_path / "elsewhere" / "far", "name: far\nversion: 0.4.0\n")
    theirs, mine = both(tmp_path, "plugin", "list")
    assert mine == theirs
    for status in ("local dev", "unsigned", "invalid provenance"):
        assert status in mine
    path_list = f"{data_plugins}:{tmp_path / 'elsewhere'}"
    theirs, mine = both(tmp_path, "plugin", "list", HELM_PLUGINS=path_list)
    assert mine == theirs and "unknown" in mine
