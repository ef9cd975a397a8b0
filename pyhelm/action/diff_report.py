"""helm-diff's report: which objects are added, removed or changed between two indexes of
manifests, and the text it prints for them (``--output diff|simple|template|json``).

Entries come in helm-diff's order: changed objects (by key), then removed ones (unless
``helm.sh/resource-policy: keep``), then added ones; ``--find-renames`` pairs a removed
object with the most similar added one of its kind; Secrets are redacted (or decoded,
or shown) before they are compared line by line; ``--suppress-output-line-regex`` drops
matching lines, and an object left without changes reads "has changed, but diff is
empty after suppression.". The default output is helm-diff's: a header per object, then
its lines prefixed ``+ ``, ``- `` or two spaces, ``...`` for runs beyond ``--context``;
colors are helm-diff's ANSI codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyhelm.action import diff_manifests
from pyhelm.action.diff_lines import COMMON, LEFT, RIGHT, Record, changes, diff_lines
from pyhelm.action.diff_manifests import Spec
from pyhelm.errors import UsageError

_COLORS = {"green": "\x1b[32m", "red": "\x1b[31m", "yellow": "\x1b[33m",
           "magenta": "\x1b[35m", "blue+h": "\x1b[94m"}
_RESET = "\x1b[0m"
_STYLES = {  # change -> (color, message of --output diff, message of --output simple)
    "ADD": ("green", "has been added:", "to be added."),
    "REMOVE": ("red", "has been removed:", "to be removed."),
    "MODIFY": ("yellow", "has changed:", "to be changed."),
    "OWNERSHIP": ("magenta", "changed ownership:", "to change ownership."),
    "MODIFY_SUPPRESSED": ("blue+h", "has changed, but diff is empty after suppression.",
                          "has changed, but diff is empty after suppression."),
}
OUTPUTS = ("diff", "simple", "template", "json")
_KEY = re.compile(r"(?P<namespace>[a-z0-9-]+), (?P<name>[a-z0-9.-]+), (?P<kind>\w+) "
                  r"\((?P<api>[^)]+)\)")


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """helm-diff's diff options (the flags every ``diff`` subcommand shares)."""

    output: str = "diff"
    context: int = -1
    strip_trailing_cr: bool = False
    show_secrets: bool = False
    show_secrets_decoded: bool = False
    suppressed_kinds: tuple[str, ...] = ()
    find_renames: float = 0.0
    suppress_output_line_regex: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    change: str  # ADD, REMOVE, MODIFY, MODIFY_SUPPRESSED
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Report:
    entries: tuple[Entry, ...] = ()
    changed: bool = False  # before --suppress-output-line-regex, as helm-diff counts


def compare(old: Mapping[str, Spec], new: Mapping[str, Spec],
            options: ReportOptions) -> Report:
    """helm-diff's generateReport."""
    if options.output not in OUTPUTS:
        raise UsageError(f"--output {options.output}: pyhelm's built-in diff prints "
                         f"{', '.join(OUTPUTS)} (not yet dyff or structured)")
    entries: list[Entry] = []
    removed_keys = []
    for key in sorted(old):
        if key in new:
            _add(entries, key, old[key], new[key], options)
        else:
            removed_keys.append(key)
    added_keys = [key for key in sorted(new) if key not in old]
    removed_keys, added_keys = _renames(entries, removed_keys, old, added_keys, new, options)
    for key in removed_keys:
        if old[key].resource_policy != "keep":
            _add(entries, key, old[key], None, options)
    for key in added_keys:
        _add(entries, key, None, new[key], options)
    return Report(tuple(_suppress_lines(entries, options.suppress_output_line_regex)),
                  bool(entries))


def _split(text: str, strip_cr: bool) -> list[str]:
    return [line.removesuffix("\r") if strip_cr else line for line in text.split("\n")]


def _records(old: Spec | None, new: Spec | None, options: ReportOptions) -> list[Record]:
    return diff_lines(_split(old.content if old else "", options.strip_trailing_cr),
                      _split(new.content if new else "", options.strip_trailing_cr))


def _shown(old: Spec | None, new: Spec | None, options: ReportOptions
           ) -> tuple[Spec | None, Spec | None]:
    if options.show_secrets_decoded:
        return diff_manifests.decode(old, new)
    if not options.show_secrets:
        return diff_manifests.redact(old, new)
    return old, new


def _add(entries: list[Entry], key: str, old: Spec | None, new: Spec | None,
         options: ReportOptions) -> None:
    """helm-diff's doDiff."""
    if old is not None and new is not None and old.content == new.content:
        return
    old, new = _shown(old, new, options)
    records = _records(old, new, options)
    if old is None:
        change, kind = "ADD", new.kind if new else ""
    elif new is None:
        change, kind = "REMOVE", old.kind
    else:
        change, kind = "MODIFY", old.kind
        if not changes(records):
            return
    entries.append(Entry(key, kind, change, tuple(records)))


def _renames(entries: list[Entry], removed: list[str], old: Mapping[str, Spec],
             added: list[str], new: Mapping[str, Spec], options: ReportOptions
             ) -> tuple[list[str], list[str]]:
    """--find-renames: a removed object diffed against the added one of its kind that
    changes the smallest fraction of lines, when that fraction is below the flag."""
    if options.find_renames <= 0:
        return removed, added
    still_removed = []
    for removed_key in removed:
        before = old[removed_key]
        best_key, best = "", float("inf")
        for added_key in added:
            after = new[added_key]
            if before.kind != after.kind or not before.content or not after.content:
                continue
            ratio = len(before.content) / len(after.content)
            if before.kind != "Secret" and not 0.1 <= ratio <= 10.0:
                continue
            records = _records(*_shown(before, after, options), options)
            delta = changes(records)
            if delta and records and 0 < delta / len(records) < best:
                best_key, best = added_key, delta / len(records)
        if best < options.find_renames:
            added = [k for k in added if k != best_key]
            _add(entries, removed_key, before, new[best_key], options)
        else:
            still_removed.append(removed_key)
    return still_removed, added


def _suppress_lines(entries: list[Entry], patterns: Sequence[str]) -> list[Entry]:
    if not entries or not patterns:
        return entries
    try:
        compiled = [re.compile(p) for p in patterns]
    except re.error as exc:
        raise UsageError(f"--suppress-output-line-regex: {exc}") from None
    kept = []
    for entry in entries:
        records = tuple(r for r in entry.records
                        if not any(p.search(r[1]) for p in compiled))
        if any(delta != COMMON for delta, _ in records):
            kept.append(Entry(entry.key, entry.kind, entry.change, records))
        elif entry.change == "MODIFY":
            kept.append(Entry(entry.key, entry.kind, "MODIFY_SUPPRESSED", ()))
        else:
            kept.append(Entry(entry.key, entry.kind, entry.change, ()))
    return kept


# ------------------------------------------------------------------ printing
def render(report: Report, options: ReportOptions, *, color: bool) -> str:
    """The text helm-diff prints for the report."""
    def paint(text: str, style: str) -> str:
        return f"{_COLORS[style]}{text}{_RESET}" if color else text

    if options.output == "simple":
        counts = {change: 0 for change in _STYLES}
        lines = []
        for entry in report.entries:
            style, _, message = _STYLES[entry.change]
            lines.append(paint(f"{entry.key} {message}", style) + "\n")
            counts[entry.change] += 1
        return "".join(lines) + (
            f"Plan: {counts['ADD']} to add, {counts['MODIFY']} to change, "
            f"{counts['REMOVE']} to destroy, {counts['OWNERSHIP']} to change ownership.\n")
    if options.output in ("template", "json"):
        return _json(report)
    out: list[str] = []
    for entry in report.entries:
        style, message, _ = _STYLES[entry.change]
        out.append(paint(f"{entry.key} {message}", style) + "\n")
        if entry.kind in options.suppressed_kinds:
            out.append(paint("+ Changes suppressed on sensitive content of type "
                             f"{entry.kind}\n", "yellow"))
            continue
        out.extend(_lines(entry.records, options.context, paint))
    return "".join(out)


def _lines(records: Sequence[Record], context: int, paint: Callable[[str, str], str]
           ) -> list[str]:
    distances = _distances(records) if context >= 0 else None
    out: list[str] = []
    omitting = False
    for index, (delta, text) in enumerate(records):
        if distances is not None and distances[index] > context:
            if not omitting:
                out.append("...\n")
                omitting = True
            continue
        omitting = False
        if delta == RIGHT:
            out.append(paint(f"+ {text}", "green") + "\n")
        elif delta == LEFT:
            out.append(paint(f"- {text}", "red") + "\n")
        else:
            out.append(f"  {text}\n" if text else "\n")
    return out


def _distances(records: Sequence[Record]) -> list[int]:
    """How far each line is from the nearest change."""
    far = 2 ** 31 - 1
    distances = [far] * len(records)
    change = -1
    for index, (delta, _) in enumerate(records):
        if delta != COMMON:
            change = index
        if change != -1:
            distances[index] = index - change
    change = -1
    for index in range(len(records) - 1, -1, -1):
        if records[index][0] != COMMON:
            change = index
        if change != -1:
            distances[index] = min(distances[index], change - index)
    return distances


def _json(report: Report) -> str:
    """helm-diff's default template: one object per entry whose key it can read."""
    items = []
    for entry in report.entries:
        found = _KEY.search(entry.key)
        if found is None:
            continue  # helm-diff logs "error processing report entry" and goes on
        items.append("{\n" + ",\n".join(
            f'  "{name}": "{value}"' for name, value in (
                ("api", found["api"]), ("kind", found["kind"]),
                ("namespace", found["namespace"]), ("name", found["name"]),
                ("change", entry.change))) + "\n}")
    return "[" + ",".join(items) + "]\n"
