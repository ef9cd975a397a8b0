"""User values merged exactly as Helm 4 merges them (``-f`` files, the ``--set`` family),
compared with what ``helm template`` gives a chart that prints ``.Values`` as JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pyhelm.action.values_options import ValueOptions
from pyhelm.errors import ValuesError
from pyhelm.testing import peers

pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def dump_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chart = tmp_path_factory.mktemp("dump") / "dump"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: dump\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dump\n"
        "data:\n  values: {{ toJson .Values | quote }}\n")
    return chart


def helm_values(chart: Path, args: list[str], cwd: Path, stdin: str | None = None) -> object:
    done = subprocess.run([str(peers.helm_binary()), "template", "r", str(chart), *args],
                          cwd=cwd, capture_output=True, text=True, input=stdin, check=True,
                          env=peers.helm_env(cwd))
    line = next(x for x in done.stdout.splitlines() if x.strip().startswith("values:"))
    return json.loads(json.loads(line.split(":", 1)[1]))


FILES = {
    "list.yaml": "a: [x, y, z]\nkeep: {me: 1}\n",
    "multi.yaml": "a: [1]\nfirst: true\n---\nsecond: {n: 2}\n---\n",
    "bom.yaml": "\ufeffbom: ok\n",
}
CASES: list[tuple[str, dict[str, tuple[str, ...]]]] = [
    ("index edits a list from -f", {"values_files": ("list.yaml",),
                                    "set_values": ("a[1]=Q",)}),
    ("several documents merge", {"values_files": ("multi.yaml", "bom.yaml")}),
    ("set-json null and whole object", {"set_json_values": ("e=", '{"o": {"b": 1}}',
                                                             "o.c=[1,2]")}),
    ("types of --set", {"set_values": ("i=10,f=1.5,z=007,b=true,n=null,s=abc",
                                       "l={1,two,3}")}),
    ("set-string and literal", {"set_string_values": ("s=10",),
                                "set_literal_values": ("lit={a,b}",)}),
    ("nested indexes", {"set_values": ("m[0].n[1]=x", "m[0].k=v")}),
]


@pytest.mark.parametrize(("name", "flags"), CASES, ids=[c[0] for c in CASES])
def test_merged_values_equal_helms(name: str, flags: dict[str, tuple[str, ...]],
                                   dump_chart: Path, tmp_path: Path) -> None:
    for file, text in FILES.items():
        (tmp_path / file).write_text(text)
    options = ValueOptions(**{k: tuple(str(tmp_path / v) if k == "values_files" else v
                                       for v in vs) for k, vs in flags.items()})
    spelled = {"values_files": "-f", "set_values": "--set", "set_json_values": "--set-json",
               "set_string_values": "--set-string", "set_literal_values": "--set-literal"}
    args = [part for key, values in flags.items() for value in values
            for part in (spelled[key], str(tmp_path / value) if key == "values_files" else value)]
    assert options.merged() == helm_values(dump_chart, args, tmp_path)


def test_text_after_an_index_is_refused_as_helm_refuses_it() -> None:
    with pytest.raises(ValuesError, match=r"unexpected data at end of array index: "
                                          r"\['n' 'a' 'm' 'e'\]"):
        ValueOptions(set_values=("a[0]name=x",)).merged()


def test_values_file_from_an_http_url(tmp_path: Path, dump_chart: Path) -> None:
    import http.server
    import threading

    (tmp_path / "remote.yaml").write_text("remote: {port: 8080}\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/remote.yaml"
        merged = ValueOptions(values_files=(url,), set_values=("remote.tls=true",)).merged()
        assert merged == helm_values(dump_chart, ["-f", url, "--set", "remote.tls=true"],
                                     tmp_path)
        with pytest.raises(ValuesError, match="cannot fetch values file"):
            ValueOptions(values_files=(url + ".missing",)).merged()
    finally:
        server.shutdown()
        server.server_close()
