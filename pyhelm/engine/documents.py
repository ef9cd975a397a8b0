"""Rendered output back into manifests: split into documents, read each one's head, and
sort them as Helm sorts a render (``sort_manifests``).

Kept apart from the Jinja2 renderer so that reading a stored release's manifest (status,
uninstall, prune) does not import the template engine.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping

from pyhelm import yamlhead, yamlio
from pyhelm.engine.manifest import Hook, Manifest, install_order, list_hooks, split_hooks
from pyhelm.errors import RenderError

# Helm's releaseutil.SplitManifests (4.3): `---` at a line's start ends a document; the
# rest of that line (a comment, or content after Go's whitespace trimming) opens the next
_DOC_SEPARATOR = re.compile(r"^---[ \t]*", re.MULTILINE)
_CONTENT_LINE = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)  # not blank, not a comment


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, document text) of every non-empty document."""
    position = 0
    line = 1
    for match in [*_DOC_SEPARATOR.finditer(text), None]:
        end = match.start() if match else len(text)
        document = text[position:end]
        if _CONTENT_LINE.search(document):
            yield line, document
        if match:
            start = match.end()
            if text.startswith("\n", start):  # the document starts on the next line
                start += 1
            line += text.count("\n", position, start)
            position = start


def _helm_content(document: str) -> str:
    """A document as Helm (since 4.3) keeps it: leading whitespace trimmed, trailing kept,
    so a template's blank line before ``---`` is printed and stored as Helm does."""
    return document.lstrip()


def _context_lines(document: str, line: int | None) -> str:
    if not line:
        return ""
    lines = document.splitlines()
    start = max(0, line - 3)
    shown = [f"{n + 1:>4}| {lines[n]}" for n in range(start, min(len(lines), line + 2))]
    return "\n" + "\n".join(shown)


def parse_manifests(text: str, source: str, load: yamlhead.Loader = yamlio.load
                    ) -> list[Manifest]:
    """Every object in a rendered template; errors name the line of the output."""
    manifests: list[Manifest] = []
    for first_line, document in split_documents(text):
        try:
            obj = load(document)
        except yamlio.YamlSyntaxError as exc:
            line = first_line + exc.line - 1 if exc.line else first_line
            raise RenderError(f"{source}: line {line} of the rendered output: {exc.problem}"
                              + _context_lines(document, exc.line)) from None
        if obj is None:
            continue
        if not isinstance(obj, dict):
            raise RenderError(f"{source}: line {first_line} of the rendered output: a "
                              f"manifest must be a mapping, not {type(obj).__name__}")
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not (api_version and kind and name):
            missing = [f for f, v in (("apiVersion", api_version), ("kind", kind),
                                      ("metadata.name", name)) if not v]
            raise RenderError(f"{source}: line {first_line} of the rendered output: object "
                              f"is missing {', '.join(missing)}")
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        manifests.append(Manifest(
            template=source, content=_helm_content(document), obj=obj,
            api_version=str(api_version), kind=str(kind), name=str(name),
            namespace=str(namespace) if namespace else None))
    return manifests


def sort_manifests(files: Mapping[str, str], load: yamlhead.Loader = yamlio.load
                   ) -> tuple[list[Hook], list[Manifest]]:
    """Helm's SortManifests: the hooks and the resources of rendered templates, each in
    kind order. Templates are read in path order (a subchart's ``chart/charts/...`` before
    its parent's ``chart/templates/...``), which decides among objects of one kind;
    partials (``_*``) and blank templates hold no objects."""
    manifests, hooks = split_hooks(
        m for name in sorted(files) if not posixpath.basename(name).startswith("_")
        for m in parse_manifests(files[name], name, load))
    return list_hooks(hooks), install_order(manifests)
