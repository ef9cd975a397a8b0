"""The document stream a post-renderer reads and writes, laid out as Helm 4 lays it out.

Helm 4 (pkg/action) parses every rendered file with kustomize's kyaml, tags each
document with the annotation ``postrenderer.helm.sh/postrender-filename`` naming its
file, and writes them back as one stream; what the renderer prints is parsed again,
grouped by that annotation (documents without it become
``generated-by-postrender-N.yaml``), the annotation is removed and each file re-written.
kyaml's writer is libyaml's emitter (go-yaml v3 is a port of it) with two-space indents,
sequences not indented under their key and no line wrapping, and it keeps every
scalar's style; PyYAML's node tree and libyaml emitter give the same bytes. PyYAML
drops comments, kyaml keeps them: a block of whole-line comments right above a key, a
list item or a document is carried along here and written above it again at its
indentation, as kyaml writes a head comment; other comments (after a value, below the
last line, separated by a blank line) are dropped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pyhelm.errors import RenderError

FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


Comments = dict[int, list[str]]  # id of a node -> the comment lines above it


def merge(files: Mapping[str, str]) -> str:
    """One stream of every document of ``files`` (sorted by name, partials and empty
    files left out), each annotated with its file's name."""
    documents: list[Node] = []
    comments: Comments = {}
    for name in sorted(files):
        content = files[name]
        if posixpath.basename(name).startswith("_") or not content.strip():
            continue
        for node in _parse(content, f"error merging manifests: parsing {name}", comments):
            _set_annotation(node, name)
            documents.append(node)
    return _write(documents, comments)


def split(stream: str) -> dict[str, str]:
    """The renderer's output as files again: name -> text of its documents."""
    grouped: dict[str, list[Node]] = {}
    comments: Comments = {}
    where = "error while parsing post rendered output: error parsing YAML"
    for index, node in enumerate(_parse(stream, where, comments)):
        if not isinstance(node, MappingNode):
            raise RenderError(f"error while parsing post rendered output: getting metadata: "
                              f"document {index + 1} is not a mapping")
        name = _pop_annotation(node) or f"generated-by-postrender-{index}.yaml"
        grouped.setdefault(name, []).append(node)
    return {name: _write(nodes, comments) for name, nodes in grouped.items()}


def _parse(text: str, where: str, comments: Comments | None = None) -> list[Node]:
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RenderError(f"{where}: {line}{problem}") from None
    # kyaml skips empty documents (a lone `---`, comments only)
    kept = [n for n in nodes if n is not None and not (isinstance(n, ScalarNode)
                                                       and n.tag == _NULL)]
    if comments is not None:
        inside = {line for node in kept for line in _scalar_lines(node)}
        above = _comments_above(text.splitlines(), inside)
        for node in kept:
            for anchor in _anchors(node):
                block = above.get(anchor.start_mark.line)
                if block:
                    comments[id(anchor)] = block
    return kept


def _scalar_lines(node: Node) -> set[int]:
    """Lines inside multi-line scalars (a ``#`` there is text, not a comment)."""
    lines: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            stack += [n for pair in current.value for n in pair]
        elif isinstance(current, SequenceNode):
            stack += current.value
        elif isinstance(current, ScalarNode):
            start, end = current.start_mark, current.end_mark
            last = end.line if end.column > 0 else end.line - 1
            lines.update(range(start.line + 1, last + 1))
    return lines


def _comments_above(lines: list[str], inside: set[int]) -> dict[int, list[str]]:
    """0-based line -> the whole-line comments right above it (no blank line between)."""
    found: dict[int, list[str]] = {}
    block: list[str] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number in inside:
            block = []
            continue
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        if stripped and stripped != "---" and block:
            found[number] = block
        block = []
    return found


def _anchors(node: Node) -> list[Node]:
    """Nodes a head comment can sit on, in document order: the document, every mapping
    key and every sequence item."""
    found = [node]
    stack = [node]
    while stack:
        current = stack.pop()
        children: list[Node] = []
        if isinstance(current, MappingNode):
            for key, value in current.value:
                children += [key, value]
                found.append(key)
        elif isinstance(current, SequenceNode):
            children = list(current.value)
            found += children
        stack += reversed(children)
    return found


def _field(node: MappingNode, key: str) -> Node | None:
    for item_key, value in node.value:
        if isinstance(item_key, ScalarNode) and item_key.value == key:
            return value  # type: ignore[no-any-return]
    return None


def _replace(node: MappingNode, key: str, value: Node | None) -> None:
    kept = [(k, v) for k, v in node.value if not (isinstance(k, ScalarNode) and k.value == key)]
    node.value = kept + ([(ScalarNode(_STR, key), value)] if value is not None else [])


def _set_annotation(document: Node, filename: str) -> None:
    if not isinstance(document, MappingNode):
        raise RenderError(f"error merging manifests: annotating {filename}: a manifest must be "
                          "a mapping")
    metadata = _field(document, "metadata")
    if not isinstance(metadata, MappingNode):
        metadata = MappingNode(_MAP, [])
        _replace(document, "metadata", metadata)
    annotations = _field(metadata, "annotations")
    if not isinstance(annotations, MappingNode):
        annotations = MappingNode(_MAP, [])
        _replace(metadata, "annotations", annotations)
    # kyaml writes the value it sets single-quoted
    value = ScalarNode(_STR, filename, style="'")
    for position, (key, _old) in enumerate(annotations.value):
        if isinstance(key, ScalarNode) and key.value == FILENAME_ANNOTATION:
            annotations.value[position] = (key, value)
            return
    annotations.value.append((ScalarNode(_STR, FILENAME_ANNOTATION), value))


def _pop_annotation(document: MappingNode) -> str | None:
    """The filename annotation's value, removed; an emptied ``annotations`` and then an
    emptied ``metadata`` go too (kyaml's writer clears empty ones)."""
    found: str | None = None
    metadata = _field(document, "metadata")
    if isinstance(metadata, MappingNode):
        annotations = _field(metadata, "annotations")
        if isinstance(annotations, MappingNode):
            value = _field(annotations, FILENAME_ANNOTATION)
            if isinstance(value, ScalarNode):
                found = str(value.value)
            _replace(annotations, FILENAME_ANNOTATION, None)
            if not annotations.value:
                _replace(metadata, "annotations", None)
        if not metadata.value:
            _replace(document, "metadata", None)
    return found or None


def _write(documents: list[Node], comments: Comments | None = None) -> str:
    return "---\n".join(_write_one(node, comments or {}) for node in documents)


def _write_one(node: Node, comments: Comments) -> str:
    text = yaml.serialize(node, Dumper=_DUMPER, indent=2, width=2**31 - 1,
                          allow_unicode=True)
    wanted = [a for a in _anchors(node) if id(a) in comments]
    if not wanted:
        return text
    # where each node landed: the text read back has the same shape, node for node
    written = yaml.compose(text, Loader=_LOADER)
    before, after = _anchors(node), _anchors(written) if written is not None else []
    if len(before) != len(after):
        return text
    placed = dict(zip(map(id, before), after, strict=True))
    lines = text.splitlines(keepends=True)
    inserts: dict[int, list[str]] = {}
    for anchor in wanted:
        mark = placed[id(anchor)].start_mark
        column = 0 if anchor is node else mark.column
        if lines[mark.line][:mark.column].rstrip().endswith("-"):  # a list item
            column = len(lines[mark.line]) - len(lines[mark.line].lstrip(" "))
        if mark.line not in inserts:
            inserts[mark.line] = [" " * column + c + "\n" for c in comments[id(anchor)]]
    return "".join("".join(inserts.get(n, ())) + line for n, line in enumerate(lines))
