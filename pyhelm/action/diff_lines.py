"""Line diffs as helm-diff computes them (its Hirschberg LCS, which gives the records
aryann/difflib gives): a list of ``(delta, line)`` where delta is ``" "`` (common),
``"-"`` (left only) or ``"+"`` (right only). Equal choices are broken the same way, so the
records, and therefore the printed diff, are helm-diff's.
"""

from __future__ import annotations

from collections.abc import Sequence

COMMON, LEFT, RIGHT = " ", "-", "+"
Record = tuple[str, str]


def diff_lines(old: Sequence[str], new: Sequence[str]) -> list[Record]:
    start = 0
    while start < len(old) and start < len(new) and old[start] == new[start]:
        start += 1
    end = 0
    i, j = len(old) - 1, len(new) - 1
    while i > start and j > start and old[i] == new[j]:
        i -= 1
        j -= 1
        end += 1
    return [*((COMMON, line) for line in old[:start]),
            *_hirschberg(old[start:len(old) - end], new[start:len(new) - end]),
            *((COMMON, line) for line in old[len(old) - end:])]


def _hirschberg(old: Sequence[str], new: Sequence[str]) -> list[Record]:
    if not old:
        return [(RIGHT, line) for line in new]
    if not new:
        return [(LEFT, line) for line in old]
    if len(old) == 1:
        return _single(old[0], new)
    middle = len(old) // 2
    forward = _lcs_row(old[:middle], new)
    backward = _lcs_row(old[middle:][::-1], new[::-1])[::-1]
    split, best = 0, -1
    for j in range(len(new) + 1):
        score = forward[j] + backward[j]
        if score > best:
            best, split = score, j
    return [*_hirschberg(old[:middle], new[:split]), *_hirschberg(old[middle:], new[split:])]


def _single(line: str, new: Sequence[str]) -> list[Record]:
    """One old line: kept at its last occurrence in ``new``, else removed first."""
    for found in range(len(new) - 1, -1, -1):
        if new[found] == line:
            return [*((RIGHT, n) for n in new[:found]), (COMMON, line),
                    *((RIGHT, n) for n in new[found + 1:])]
    return [(LEFT, line), *((RIGHT, n) for n in new)]


def _lcs_row(old: Sequence[str], new: Sequence[str]) -> list[int]:
    """row[j] = length of the LCS of ``old`` and ``new[:j]``."""
    previous = [0] * (len(new) + 1)
    for line in old:
        current = [0] * (len(new) + 1)
        for j, other in enumerate(new):
            if line == other:
                current[j + 1] = previous[j] + 1
            elif previous[j + 1] >= current[j]:
                current[j + 1] = previous[j + 1]
            else:
                current[j + 1] = current[j]
        previous = current
    return previous


def changes(records: Sequence[Record]) -> int:
    return sum(1 for delta, _ in records if delta != COMMON)
