"""The heads of many rendered manifests, fast: what ``template`` needs to print them.

``template`` prints each document as rendered; it only needs the head of each
(apiVersion, kind, metadata name, namespace and annotations) to order the documents,
find hooks and check names, as Helm's ``template`` reads only a ``SimpleHead``. Building
every object with PyYAML costs most of a 6000-object ``template``; rapidyaml (C++)
parses a document about thirty times faster. A document is taken from rapidyaml only
when the head is certain to read as ``yamlio.load`` would read it: any document that
rapidyaml refuses, that uses anchors, aliases, tags, merge keys or reserved indicators,
or whose head has a scalar go-yaml would not read as a string, is loaded by
``yamlio.load`` instead (which also gives its errors). A head key given twice is read
from its first occurrence here and its last by ``yamlio`` (go-yaml's rule); no chart
renders that.
"""

from __future__ import annotations

import contextlib
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

    def load(self, text: str) -> Any:
        if _MARK.search(text) and _NOT_PLAIN_DATA.search(text):
            return yamlio.load(text)
        try:
            tree = self.ryml.parse_in_arena(text.encode())
            return self._head(tree, escapes="\\" in text)
        except (self.ryml.ExceptionBasic, _Fallback):
            return yamlio.load(text)

    def _head(self, tree: Any, *, escapes: bool) -> dict[str, Any]:
        root = tree.root_id()
        if tree.type(root) & (self.map | self.doc) != self.map or not tree.has_children(root):
            raise _Fallback
        head: dict[str, Any] = self._strings(tree, root, (b"apiVersion", b"kind"), escapes)
        meta = tree.find_child(root, b"metadata")
        if meta != self.none:
            if not tree.type(meta) & self.map:
                raise _Fallback
            metadata: dict[str, Any] = self._strings(tree, meta, (b"name", b"namespace"),
                                                     escapes)
            annotations = tree.find_child(meta, b"annotations")
            if annotations != self.none:
                metadata["annotations"] = self._string_map(tree, annotations, escapes)
            head["metadata"] = metadata
        return head

    def _strings(self, tree: Any, parent: int, keys: tuple[bytes, ...], escapes: bool
                 ) -> dict[str, Any]:
        """The string values of those keys of a mapping that it has."""
        found: dict[str, Any] = {}
        for key in keys:
            node = tree.find_child(parent, key)
            if node != self.none:
                found[key.decode()] = self._string(tree, node, escapes)
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
