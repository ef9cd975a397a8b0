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


# Documents in the plain shape: ``plain_head`` reads their heads itself.
PLAIN = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: no-final-newline",
    "\n# a comment first\n  # and another\napiVersion: apps/v1\nkind: Deployment\n"
    "metadata:\n  name: web\n  namespace: ns\nspec:\n  replicas: 1\n",
    "apiVersion: v1   \nkind: Service # a comment\nmetadata:    # another\n"
    "    name: four-spaces  \n    labels:\n        a: b\n    namespace: 'it''s'\n",
    'apiVersion: "v1"\nkind: \'Secret\'\nmetadata:\n  name: "quoted"\n  namespace: ""\n',
    "apiVersion: v1\nkind: Job\nmetadata:\n  name: hook\n  annotations:\n"
    '    "helm.sh/hook": pre-install,post-install\n    helm.sh/hook-weight: "-5"\n'
    "    'example.com/x': 'y' # a comment\n  labels:\n    app: web\n",
    "apiVersion: v1\nkind: Job\nmetadata:\n  annotations:\n    a: \"1\"\n  name: late\n"
    "  annotations:\n    b: http://example.com:8080/a#b\n",  # given twice: the last counts
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    deep:\n"
    "      deeper: value\n  true: a key that is no string\n"
    "data:\n  a: \"x\n kind: inside a string\"\n"
    "list:\n- kind: an item\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  script: |\n"
    "    kind: in a literal\n  flow: {a: [b,\n kind: inside]}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n"
    "    version: \"1.0\"\n    'quoted': 'key'\n  namespace: ns\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: timestamp-2024-01-01\n"
    "  namespace: 2024-01-01\n",  # a timestamp, which reads as its text
]

# Documents it leaves to rapidyaml's tree or yamlio, and why.
NOT_PLAIN = [
    "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: another-order\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &a anchored\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !!str tagged\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec: &a {}\nother: *a\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n<<: {kind: merged}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"esc\\u00e9aped\"\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 12\n",  # an int
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: on\n",  # a bool
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: null\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n",
    "apiVersion: 1.0\nkind: ConfigMap\nmetadata:\n  name: x\n",  # a float
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"two\n    lines\"\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n    continued\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: |\n    literal\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n"
    "    a: \"runs on\n  namespace: inside\"\n",  # a quoted scalar swallows a line
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a,\n  b]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n"
    "    a: [\"runs on\",\n  namespace: inside]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a:\tb\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   namespace: odd\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n   name: x\n  namespace: odd\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n# a comment\n  namespace: y\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\n  namespace: y\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tab\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\u00e9\n",
    "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nkind: Secret\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nmetadata:\n  name: y\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\"kind\": Secret\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n? kind\n: Secret\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n...\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n---\n  a: b\n",  # two
    # a head key at the left margin, even where it is inside a flow collection
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nflow: {a: [b,\nkind: c]}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: 1\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a:\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    yes: a\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: b\n"
    "      c: d\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: b\n"
    "   c: d\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: |\n"
    "      text\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: no-name\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x: y\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  # only a comment\n",
]


@pytest.mark.parametrize("document", PLAIN)
def test_a_plain_head_reads_as_yamlio_reads_it(document: str) -> None:
    assert yamlhead.plain_head(document) == head_of(yamlio.load(document))


@pytest.mark.parametrize("document", NOT_PLAIN)
def test_a_head_it_cannot_vouch_for_is_left_to_the_parsers(document: str) -> None:
    assert yamlhead.plain_head(document) is None


@pytest.mark.parametrize("document", PLAIN + NOT_PLAIN)
def test_the_fast_loader_reads_every_shape_as_yamlio(document: str) -> None:
    pytest.importorskip("ryml")
    with yamlhead.head_loader(yamlhead.FAST_FROM) as fast:
        assert outcome(fast, document) == outcome(yamlio.load, document)


def test_a_plain_head_over_a_broken_body_gives_yamlio_s_error() -> None:
    pytest.importorskip("ryml")
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: [a\n"
    assert yamlhead.plain_head(document) is not None
    with yamlhead.head_loader(yamlhead.FAST_FROM) as fast:
        assert outcome(fast, document) == outcome(yamlio.load, document)
        assert outcome(fast, document)[0] == "error"
        # the reused tree reads the next document
        assert fast(PLAIN[0]) == head_of(yamlio.load(PLAIN[0]))


def test_most_of_the_corpus_is_in_the_plain_shape() -> None:
    corpus = documents()[len(EDGE_CASES):]
    plain = [d for d in corpus if yamlhead.plain_head(d) is not None]
    assert len(plain) > 0.8 * len(corpus)
    for document in plain:
        assert yamlhead.plain_head(document) == head_of(yamlio.load(document)), document
