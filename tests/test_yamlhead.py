"""``pyhelm.yamlhead`` reads every head as ``yamlio.load`` does, or defers to it.

The documents: the real-world manifests of the shared Helm corpus (as ``helm template``
printed them), pyhelm's example charts, and edge cases chosen to hit each reason to
fall back (anchors, aliases, tags, merge keys, non-string scalars, escapes, errors).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyhelm import yamlhead, yamlio
from pyhelm.engine.documents import split_documents

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "helm-charts" / "expected"

EDGE_CASES = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    'apiVersion: "v1"\nkind: \'Secret\'\nmetadata:\n  name: "quoted"\n  namespace: ns\n',
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0x1F\n",  # an int to go-yaml
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n",  # a bool
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 1e3\n",  # a float
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n",  # null
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"caf\\u00e9\"\n",  # escapes
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &n anchored\n  labels: {a: *n}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: !!map\n  name: tagged\n",
    "base: &b {name: merged}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: *b\n",
    "apiVersion: v1\nkind: Job\nmetadata:\n  name: hook\n  annotations:\n"
    '    helm.sh/hook: pre-install\n    "helm.sh/hook-weight": "5"\n'
    "    helm.sh/hook-delete-policy: before-hook-creation\n",
    "apiVersion: v1\nkind: Job\nmetadata:\n  name: weight\n  annotations:\n"
    "    helm.sh/hook: pre-install\n    helm.sh/hook-weight: 5\n",  # an int weight
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: block\ndata:\n  run.sh: |\n"
    "    echo * && test ! -f x\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow, namespace: ns}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: |\n    literal\n",
    "- a list\n- not an object\n",
    "just a scalar\n",
    "# only a comment\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  bad: [1, 2\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\tdata: 1\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: @reserved\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  y: a: b\n",
]


def documents() -> list[str]:
    found = list(EDGE_CASES)
    for path in sorted(CORPUS.glob("*.yaml")):
        found += [doc for _, doc in split_documents(path.read_text())]
    return found


def head_of(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    meta = obj.get("metadata")
    head = {k: obj[k] for k in ("apiVersion", "kind") if k in obj}
    if isinstance(meta, dict):
        head["metadata"] = {k: meta[k] for k in ("name", "namespace", "annotations")
                            if k in meta}
    elif "metadata" in obj:
        head["metadata"] = meta
    return head


def outcome(load: yamlhead.Loader, document: str) -> Any:
    try:
        return head_of(load(document))
    except yamlio.YamlSyntaxError as exc:
        return ("error", str(exc))


def test_every_head_reads_as_yamlio_reads_it() -> None:
    pytest.importorskip("ryml")
    corpus = documents()
    assert len(corpus) > 150, "the shared corpus is missing"
    with yamlhead.head_loader(yamlhead.FAST_FROM) as fast:
        assert fast is not yamlio.load
        for document in corpus:
            assert outcome(fast, document) == outcome(yamlio.load, document), document


def test_few_documents_use_yamlio_itself() -> None:
    with yamlhead.head_loader(yamlhead.FAST_FROM - 1) as load:
        assert load is yamlio.load


def _big_chart(tmp_path: Path, broken_at: int | None) -> Path:
    chart = tmp_path / "many"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: many\nversion: 0.1.0\n")
    body = "\n".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n"
        f"data:\n  k: {'[unclosed' if i == broken_at else 'v'}"
        for i in range(yamlhead.FAST_FROM + 50))
    (chart / "templates" / "many.yaml").write_text(body + "\n")
    return chart


def test_template_output_is_the_same_on_both_paths(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pyhelm.action.template import TemplateOptions, run

    chart = _big_chart(tmp_path, None)
    fast = run(TemplateOptions(chart=str(chart))).text
    assert fast.count("kind: ConfigMap") == yamlhead.FAST_FROM + 50
    monkeypatch.setattr(yamlhead, "FAST_FROM", 10**9)
    assert run(TemplateOptions(chart=str(chart))).text == fast


def test_a_broken_document_among_many_is_one_line_without_parser_noise(
        tmp_path: Path) -> None:
    chart = _big_chart(tmp_path, broken_at=123)
    done = subprocess.run([sys.executable, "-m", "pyhelm", "template", str(chart)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    first, *context = done.stderr.splitlines()
    assert first.startswith("Error: many/templates/many.yaml: line 869 of the rendered output")
    assert context == ["   5| data:", "   6|   k: [unclosed"]  # yamlio's, no parser noise
