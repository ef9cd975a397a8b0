"""Manifests as helm-diff indexes them, and Secrets as it shows them.

A manifest stream (``helm get manifest`` plus ``helm get hooks``, or ``helm template``)
is cut at every ``\\n---\\n``; each document that has an apiVersion or a kind becomes a
``Spec`` under helm-diff's key ``NAMESPACE, NAME, KIND (API GROUP)`` (the namespace
defaulted, the name taken from a ``helm-diff/base-name`` annotation when there is one),
its text trimmed; ``*List`` kinds are split into their items, test hooks are left out,
and the first of two documents with one key wins (the second is reported).

Secrets are shown as helm-diff shows them: decoded into Kubernetes' Secret type (unknown
fields dropped, ``stringData`` folded into ``data``) and written back with keys sorted,
each value replaced by ``REDACTED # (N bytes)`` when both sides hold it,
``-------- # (N bytes)``/``++++++++ # (N bytes)`` when it goes or comes, or decoded with
``--show-secrets-decoded``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyhelm import yamlio
from pyhelm.errors import RenderError

TEST_HOOKS = ("test", "test-success")
_OBJECT_META = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                "annotations", "ownerReferences", "finalizers", "managedFields")


@dataclass(frozen=True)
class Spec:
    """helm-diff's MappingResult: one object's key, kind and text."""

    key: str
    kind: str
    content: str
    resource_policy: str = ""


def parse(text: str, namespace: str, *, normalize: bool = False,
          excluded_hooks: Iterable[str] = TEST_HOOKS,
          warn: Callable[[str], None] | None = None) -> dict[str, Spec]:
    """helm-diff's manifest.Parse."""
    excluded = tuple(excluded_hooks)
    found: dict[str, Spec] = {}
    for document in ("\n" + text).split("\n---\n"):
        content = document.strip()
        if not content:
            continue
        for spec in _specs(content, namespace, normalize, excluded):
            if spec.key in found:
                (warn or _stderr)(f'Error: Found duplicate key "{spec.key}" in manifest')
            else:
                found[spec.key] = spec
    return found


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _specs(content: str, namespace: str, normalize: bool,
           excluded: tuple[str, ...]) -> list[Spec]:
    try:
        loaded = yamlio.load(content)
    except ValueError as exc:
        raise RenderError(f"YAML unmarshal error: {exc}\nCan't unmarshal {content}") from None
    document: Mapping[str, Any] = loaded if isinstance(loaded, dict) else {}
    api_version, kind = _text(document.get("apiVersion")), _text(document.get("kind"))
    if not api_version and not kind:
        return []
    if kind.endswith("List"):
        items = document.get("items") or []
        return [spec for item in items if isinstance(item, dict)
                for spec in _specs(yamlio.dump(item, sort_keys=False), namespace, normalize,
                                   excluded)]
    if normalize:
        content = yamlio.dump(go_key_order(loaded), sort_keys=False)
    metadata = _mapping(document.get("metadata"))
    annotations = _mapping(metadata.get("annotations"))
    if _text(annotations.get("helm.sh/hook")) in excluded and "helm.sh/hook" in annotations:
        return []
    api_group = api_version.rsplit("/", 1)[0] if "/" in api_version else api_version
    name = _text(annotations.get("helm-diff/base-name", metadata.get("name")))
    where = _text(metadata.get("namespace")) or namespace
    return [Spec(f"{where}, {name}, {kind} ({api_group})", kind, content,
                 _text(annotations.get("helm.sh/resource-policy")))]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def go_key_order(value: Any) -> Any:
    """``value`` with every mapping's keys in go-yaml v2's order, as its Marshal writes
    them: runs of digits compare as numbers, other characters before letters."""
    if isinstance(value, dict):
        ordered = sorted(value, key=functools.cmp_to_key(_compare_keys))
        return {k: go_key_order(value[k]) for k in ordered}
    if isinstance(value, list):
        return [go_key_order(item) for item in value]
    return value


def _compare_keys(a: Any, b: Any) -> int:
    return -1 if _less(str(a), str(b)) else (1 if _less(str(b), str(a)) else 0)


def _less(a: str, b: str) -> bool:
    """go-yaml v2's keyList.Less for two strings."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return a[i] < b[i]
        if a_letter or b_letter:
            return b_letter
        a_number = b_number = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    a_number = b_number = 1
                    break
                j -= 1
        a_end = i
        while a_end < len(a) and a[a_end].isdecimal():
            a_number = a_number * 10 + int(a[a_end])
            a_end += 1
        b_end = i
        while b_end < len(b) and b[b_end].isdecimal():
            b_number = b_number * 10 + int(b[b_end])
            b_end += 1
        if a_number != b_number:
            return a_number < b_number
        if a_end != b_end:
            return a_end < b_end
        return a[i] < b[i]
    return len(a) < len(b)


# ---------------------------------------------------------------- Secrets
def redact(old: Spec | None, new: Spec | None) -> tuple[Spec | None, Spec | None]:
    """Both sides of a Secret with their values replaced by markers (helm-diff's
    redactSecrets); anything but two Secrets is returned as it was."""
    if not _both_secrets(old, new):
        return old, new
    old_secret, old_error = _decode(old, "old")
    new_secret, new_error = _decode(new, "new")
    old_data, new_data = (s.get("data", {}) if s else {} for s in (old_secret, new_secret))

    def marked(data: Mapping[str, bytes], other: Mapping[str, bytes], present: bool,
               changed: str) -> dict[str, str]:
        return {k: (f"REDACTED # ({len(v)} bytes)" if present and other.get(k) == v
                    else f"{changed} # ({len(v)} bytes)") for k, v in data.items()}

    if old is not None and old_secret is not None:
        old_secret["stringData"] = marked(old_data, new_data, new is not None, "--------")
    if new is not None and new_secret is not None:
        new_secret["stringData"] = marked(new_data, old_data, old is not None, "++++++++")
    return (_encode(old, old_secret, old_error, rename=True),
            _encode(new, new_secret, new_error, rename=True))


def decode(old: Spec | None, new: Spec | None) -> tuple[Spec | None, Spec | None]:
    """Both sides of a Secret with their values decoded (--show-secrets-decoded)."""
    if not _both_secrets(old, new):
        return old, new
    results = []
    for spec, side in ((old, "old"), (new, "new")):
        secret, error = _decode(spec, side)
        if secret is not None:
            secret["stringData"] = {k: v.decode("utf-8", errors="replace")
                                    for k, v in secret.get("data", {}).items()}
        results.append(_encode(spec, secret, error, rename=False))
    return results[0], results[1]


def _both_secrets(old: Spec | None, new: Spec | None) -> bool:
    return not ((old is not None and old.kind != "Secret")
                or (new is not None and new.kind != "Secret"))


def _decode(spec: Spec | None, side: str) -> tuple[dict[str, Any] | None, str]:
    """The Secret as Kubernetes' type holds it (data decoded), or an error text."""
    if spec is None:
        return None, ""
    try:
        raw = yamlio.load(spec.content)
        if not isinstance(raw, dict):
            raise ValueError("cannot unmarshal into v1.Secret")
        secret: dict[str, Any] = {key: raw[key] for key in ("kind", "apiVersion", "type",
                                                            "immutable") if key in raw}
        meta = raw.get("metadata") or {}
        secret["metadata"] = {k: meta[k] for k in _OBJECT_META
                              if isinstance(meta, dict) and meta.get(k) not in (None, "")}
        secret["data"] = {str(k): base64.b64decode(str(v), validate=True)
                          for k, v in (raw.get("data") or {}).items()}
        for key, value in (raw.get("stringData") or {}).items():
            secret["data"][str(key)] = _text(value).encode()
    except (ValueError, binascii.Error, AttributeError) as exc:
        return None, f"Error parsing {side} secret: {exc}"
    return secret, ""


def _encode(spec: Spec | None, secret: dict[str, Any] | None, error: str, *,
            rename: bool) -> Spec | None:
    if spec is None:
        return None
    if secret is None:
        return dataclasses.replace(spec, content=error)
    secret.pop("data", None)
    if not secret.get("stringData"):
        secret.pop("stringData", None)
    secret["metadata"] = {"creationTimestamp": None, **secret["metadata"]}
    text = yamlio.dump(go_key_order(secret), sort_keys=False)
    if rename:
        text = text.replace("stringData", "data", 1)
    text = text.replace("  creationTimestamp: null\n", "", 1)
    first, newline, _ = spec.content.partition("\n")
    comment = first + "\n" if newline and spec.content.startswith("#") else ""
    return dataclasses.replace(spec, content=comment + text)
