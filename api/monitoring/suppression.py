"""Small-number suppression of a table of counts (pure).

Primary: a count from 1 to 4 is shown as "<5" (0 is shown: it names nobody). Secondary: a
table's totals could give a hidden count back by subtraction (a total less the counts shown in
its line), so wherever a line (cells that add up to a shown total, the total included) would
hold exactly one hidden cell, the smallest other cell of that line is hidden too, until no line
holds exactly one. Lines share cells, so this runs to a fixed point.

This is the usual rule for published tables (every hidden cell has a hidden partner in every
line it belongs to); it does not solve the general problem of bounds from many equations at
once, which tables as small as these do not need.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Literal, TypeVar

THRESHOLD = 5
HIDDEN: Literal["<5"] = "<5"

K = TypeVar("K", bound=Hashable)


def suppress(cells: Mapping[K, int], lines: Iterable[Sequence[K]]) -> dict[K, int | Literal["<5"]]:
    """``cells`` with small counts hidden. ``lines``: groups of cell keys whose last cell is the
    sum of the others (a row with its total, a column of parts with the whole)."""
    hidden = primary(cells)
    all_lines = [list(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            if sum(1 for k in line if k in hidden) != 1:
                continue
            shown = [k for k in line if k not in hidden]
            if not shown:
                continue
            # The smallest count, preferring one that is not zero (hiding a zero protects only
            # by hiding that it is zero), then a stable order.
            hidden.add(min(shown, key=lambda k: (cells[k] == 0, cells[k], repr(k))))
            changed = True
    return {k: HIDDEN if k in hidden else v for k, v in cells.items()}


def primary(cells: Mapping[K, int]) -> set[K]:
    """The cells hidden for being small (1 to 4)."""
    return {k for k, v in cells.items() if 0 < v < THRESHOLD}


def recoverable(shown: Mapping[K, int | str], truth: Mapping[K, int], lines: Iterable[Sequence[K]]) -> set[K]:
    """Hidden cells a reader could work out by subtraction: repeatedly, a line with one unknown
    cell gives it. For tests and for checking a table before it is published."""
    known = {k: v for k, v in shown.items() if isinstance(v, int)}
    all_lines = [list(line) for line in lines]
    found: set[K] = set()
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            unknown = [k for k in line if k not in known]
            if len(unknown) == 1:
                k = unknown[0]
                known[k] = truth[k]  # the value subtraction would give
                found.add(k)
                changed = True
    return found
