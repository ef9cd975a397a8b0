"""The heads of many rendered manifests, fast: what ``template`` needs to print them.

``template`` prints each document as rendered; it only needs the head of each
(apiVersion, kind, metadata name, namespace and annotations) to order the documents,
find hooks and check names, as Helm's ``template`` reads only a ``SimpleHead``. Building
every object with PyYAML costs most of a 6000-object ``template``; rapidyaml (C++)
parses a document about thirty times faster. A document is taken from rapidyaml only
when the head is certain to read as ``yamlio.load`` would read it: any document that
rapidyaml refuses, that uses anchors, aliases, tags, merge keys or reserved indicators,
whose head has a scalar go-yaml would not read as a string, or a head key given twice
(``yamlio`` reads its last occurrence, go-yaml's rule), is loaded by ``yamlio.load``
instead (which also gives its errors).

Most documents open in one plain shape (``apiVersion``, ``kind`` and ``metadata`` at the
top, one line per scalar); ``plain_head`` reads such a head with regular expressions,
which is cheaper than walking rapidyaml's tree node by node, and rapidyaml still parses
the whole document, so that one it refuses goes to ``yamlio.load`` as before.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from pyhelm import yamlio

# Below this many documents loading them all with libyaml is quicker than importing
# rapidyaml (about 25 ms).
FAST_FROM = 200

# anchors, aliases, tags and reserved indicators where a token starts; merge keys
_NOT_PLAIN_DATA = re.compile(r"(?:^|[\s\[{,:?-])[&*!@`]|<<")
_MARK = re.compile(r"[&*!@`<]")  # a document with none of these needs no search

Loader = Callable[[str], Any]


class _Fallback(Exception):
    """The fast reading cannot vouch for this document."""


def plain_head(text: str) -> dict[str, Any] | None:
    """The head of a document in the plain shape, as ``yamlio.load`` reads it if the
    document parses; None when its shape is not one this can vouch for. It reads no
    further than metadata: the caller checks that the whole document parses."""
    return _plain_shape().head(text)


# The plain shape, in printable ASCII (no line break but "\n", no character libyaml
# refuses), indented and separated by spaces. A scalar is on one line: plain (no
# indicator first, no ": " or " #" inside, no trailing space) or quoted without escapes.
_PLAIN = (r"[$()+./0-9;<=A-Z\\^_a-z~][!-9;-~]*"  # [!-9;-~]: printable but space and ':'
          r"(?:(?::[!-9;-~]| +[!-\"$-9;-~])[!-9;-~]*)*")
_QUOTED = r"\"[\t !#-\[\]-~]*\"|'[\t -&(-~]*(?:''[\t -&(-~]*)*'"
_SCALAR = f"(?:{_PLAIN}|{_QUOTED})"
_LINE_END = r"(?: +(?:#[\t -~]*)?)?\n"  # trailing spaces, a comment
_GAP = r"(?: *(?:#[\t -~]*)?\n)*"  # blank lines and comment lines


class _PlainShape:
    """The patterns of the plain shape, compiled on first use (some 2 ms, which a
    command that reads few documents does not spend)."""

    def __init__(self) -> None:
        # apiVersion, kind and metadata first, in that order; metadata's lines (all
        # indented) end where a line starts with a key at the left margin, or at the end
        self.head_match = re.compile(
            f"{_GAP}apiVersion *: +({_SCALAR}){_LINE_END}kind *: +({_SCALAR}){_LINE_END}"
            f"metadata *:{_LINE_END}((?: [^\\n]*\\n)+){_GAP}(?=[A-Za-z0-9_]|\\Z)").match
        # one key of metadata and the lines more indented than it (its value's):
        # (all of it, indentation, key, value on the key's line, the deeper lines)
        self.metadata_entries = re.compile(
            f"(( +)([A-Za-z0-9_][A-Za-z0-9_./-]*|{_QUOTED}) *:(?: +({_SCALAR}))?"
            r"(?: +#[\t -~]*| *)\n((?:\2 +[^\n]*\n)*))").findall
        # where quoted or flow scalars could start: they may run on past their lines
        self.multi_line = re.compile(r"[\"'\[{\t]").search
        # a deeper line then holds a key and a one-line scalar, or only the key
        self.deeper_lines = re.compile(
            f"^ +(?:(?:[A-Za-z0-9_][A-Za-z0-9_./-]*|{_QUOTED}) *:(?: +{_SCALAR})?)?"
            r"(?: +#[\t -~]*| *)\n", re.MULTILINE).findall
        # one annotation: (indentation, key, value)
        self.annotation_lines = re.compile(
            f"^( +)([A-Za-z0-9_][A-Za-z0-9_./-]*|{_QUOTED}) *: +({_SCALAR})"
            r"(?: +#[\t -~]*| *)\n", re.MULTILINE).findall
        # past metadata, a line that could give apiVersion, kind or metadata again, or
        # does not open with a plain key, "-", a space or a comment (a quoted, complex or
        # flow key, a directive, "...", a tab), or another document's "---"
        self.later_head = re.compile(
            r"\n(?:apiVersion|kind|metadata|---|[^A-Za-z0-9_ \n#-])").search
        self.mark = _MARK.search
        self.not_plain_data = _NOT_PLAIN_DATA.search

    def head(self, text: str) -> dict[str, Any] | None:
        if not text.isascii() or "\r" in text or (
                self.mark(text) and self.not_plain_data(text)):
            return None
        if not text.endswith("\n"):
            text += "\n"
        match = self.head_match(text)
        if match is None or self.later_head(text, match.end() - 1):
            return None
        api_version, kind = _scalar(match[1]), _scalar(match[2])
        metadata = self._metadata(match[3])
        if api_version is None or kind is None or metadata is None:
            return None
        return {"apiVersion": api_version, "kind": kind, "metadata": metadata}

    def _metadata(self, block: str) -> dict[str, Any] | None:
        """name, namespace and annotations from metadata's lines: its keys at one
        indentation, each with a value on its line or deeper lines, which hold no
        scalar that could run on past its line; annotations a mapping of strings."""
        metadata: dict[str, Any] = {}
        indent = None
        read = 0
        for entry, spaces, token, value, deeper in self.metadata_entries(block):
            read += len(entry)
            if indent is None:
                indent = spaces
            if spaces != indent or (value and deeper):
                return None  # a key at another indentation; a plain scalar continued
            # a plain key as written: one that is no string (true, 1) is no head key
            key = token if token[0] not in "\"'" else _scalar(token)
            if key == "name" or key == "namespace":
                if not value or (string := _scalar(value)) is None:
                    return None
                metadata[key] = string  # a key given twice: the last one counts
            elif key == "annotations":
                if value or (annotations := self._annotations(deeper)) is None:
                    return None
                metadata[key] = annotations
            elif deeper and self.multi_line(deeper) and \
                    len(self.deeper_lines(deeper)) != deeper.count("\n"):
                return None
        if read != len(block) or not metadata.get("name"):
            return None  # a line of another shape; metadata without a name
        return metadata

    def _annotations(self, block: str) -> dict[str, str] | None:
        """Annotations' lines as a mapping of strings, None if they are not one."""
        lines = self.annotation_lines(block)  # each match ends where the next begins
        if not lines or len(lines) != block.count("\n"):
            return None  # null (no lines), or a line of another shape
        annotations: dict[str, str] = {}
        for spaces, token, value in lines:
            key, string = _scalar(token), _scalar(value)
            if spaces != lines[0][0] or key is None or string is None:
                return None
            annotations[key] = string
        return annotations


@functools.cache
def _plain_shape() -> _PlainShape:
    return _PlainShape()


def _scalar(token: str) -> str | None:
    """A one-line scalar's string; None for a plain one that is not a string."""
    if token[0] == '"':
        return token[1:-1]
    if token[0] == "'":
        return token[1:-1].replace("''", "'")
    return token if yamlio.plain_scalar_is_string(token) else None


@contextlib.contextmanager
def head_loader(documents: int) -> Iterator[Loader]:
    """A loader for ``documents`` documents: rapidyaml heads when there are many and
    rapidyaml is installed, else ``yamlio.load``."""
    if documents < FAST_FROM:
        yield yamlio.load
        return
    try:
        import ryml
    except ImportError:
        yield yamlio.load
        return
    with _silenced_stderr():
        yield _RymlHeads(ryml).load


class _RymlHeads:
    """Heads read off rapidyaml's tree. Each call into ryml costs about a microsecond
    (SWIG), more than the C++ work behind it, so a node's style is read as one bit set
    (``tree.type``) rather than through one predicate call per style."""

    def __init__(self, ryml: Any) -> None:
        self.ryml = ryml
        self.none = ryml.NONE  # the node id meaning "no such node"
        self.map, self.doc = int(ryml.MAP), int(ryml.DOC)
        self.val, self.val_nil = int(ryml.VAL), int(ryml.VALNIL)
        self.val_dquo, self.val_plain = int(ryml.VAL_DQUO), int(ryml.VAL_PLAIN)
        self.val_quoted = int(ryml.VALQUO)  # quoted, or a block scalar: a string either way
        self.key_quoted, self.key_dquo = int(ryml.KEYQUO), int(ryml.KEY_DQUO)
        self.tree: Any = None
        self.plain_head = _plain_shape().head

    def load(self, text: str) -> Any:
        head = self.plain_head(text)
        if head is None and _MARK.search(text) and _NOT_PLAIN_DATA.search(text):
            return yamlio.load(text)
        try:
            tree = self._parse(text)  # a document rapidyaml refuses goes to yamlio
            return head if head is not None else self._head(tree, escapes="\\" in text)
        except (self.ryml.ExceptionBasic, _Fallback):
            return yamlio.load(text)

    def _parse(self, text: str) -> Any:
        """rapidyaml's tree of the document; one tree serves every document in turn (a
        new tree per document costs more than the parse), a new one after an error."""
        tree = self.tree
        self.tree = None  # until the parse succeeds
        if tree is None:
            tree = self.ryml.Tree()
        else:
            tree.clear()
            tree.clear_arena()
        self.ryml.parse_in_arena(text.encode(), tree)
        self.tree = tree
        return tree

    def _head(self, tree: Any, *, escapes: bool) -> dict[str, Any]:
        root = tree.root_id()
        if tree.type(root) & (self.map | self.doc) != self.map or not tree.has_children(root):
            raise _Fallback
        top = self._children(tree, root, (b"apiVersion", b"kind", b"metadata"), escapes)
        head: dict[str, Any] = {key.decode(): self._string(tree, node, escapes)
                                for key, node in top.items() if key != b"metadata"}
        meta = top.get(b"metadata")
        if meta is not None:
            if not tree.type(meta) & self.map:
                raise _Fallback
            found = self._children(tree, meta, (b"name", b"namespace", b"annotations"),
                                   escapes)
            metadata: dict[str, Any] = {key.decode(): self._string(tree, node, escapes)
                                        for key, node in found.items()
                                        if key != b"annotations"}
            if b"annotations" in found:
                metadata["annotations"] = self._string_map(tree, found[b"annotations"],
                                                           escapes)
            head["metadata"] = metadata
        return head

    def _children(self, tree: Any, parent: int, keys: tuple[bytes, ...], escapes: bool
                  ) -> dict[bytes, int]:
        """The nodes of those keys of a mapping that it has, in its order. A key given
        twice (which ``yamlio`` reads from its last occurrence), or one in double quotes
        where the document has escapes, is left to ``yamlio``."""
        found: dict[bytes, int] = {}
        child = tree.first_child(parent)
        while child != self.none:
            key = bytes(tree.key(child))
            if key in keys:
                if key in found or (escapes and tree.type(child) & self.key_dquo):
                    raise _Fallback
                found[key] = child
            child = tree.next_sibling(child)
        return found

    def _string_map(self, tree: Any, node: int, escapes: bool) -> dict[str, str]:
        if not tree.type(node) & self.map:
            raise _Fallback
        found: dict[str, str] = {}
        child = tree.first_child(node)
        while child != self.none:
            kind = tree.type(child)
            key = bytes(tree.key(child)).decode()
            if not (kind & self.key_quoted or yamlio.plain_scalar_is_string(key)) or (
                    escapes and kind & self.key_dquo):
                raise _Fallback
            found[key] = self._string(tree, child, escapes)
            child = tree.next_sibling(child)
        return found

    def _string(self, tree: Any, node: int, escapes: bool) -> str:
        kind = tree.type(node)
        if not kind & self.val or kind & self.val_nil:
            raise _Fallback
        if escapes and kind & self.val_dquo:
            raise _Fallback  # escape sequences: libyaml's reading decides
        text = bytes(tree.val(node)).decode()
        if kind & self.val_quoted:
            return text
        if kind & self.val_plain and yamlio.plain_scalar_is_string(text):
            return text
        raise _Fallback


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """rapidyaml's C++ error handler writes to stderr before it raises; the document is
    then read again by ``yamlio.load``, whose error is the one shown."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
