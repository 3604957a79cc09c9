"""Small-number suppression (pure): primary "<5", secondary so that no total gives a count back."""

from __future__ import annotations

import random

from api.monitoring.suppression import HIDDEN, primary, recoverable, suppress


def _table(rows: list[list[int]]):
    """Cells of a table with its row totals, column totals and grand total, and its lines."""
    cells: dict[tuple[int, int], int] = {}
    n_rows, n_cols = len(rows), len(rows[0])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cells[(r, c)] = value
        cells[(r, n_cols)] = sum(row)
    for c in range(n_cols + 1):
        cells[(n_rows, c)] = sum(cells[(r, c)] for r in range(n_rows))
    lines = [[(r, c) for c in range(n_cols + 1)] for r in range(n_rows + 1)]
    lines += [[(r, c) for r in range(n_rows + 1)] for c in range(n_cols + 1)]
    return cells, lines


def test_small_counts_are_hidden_and_zero_and_five_are_shown():
    cells, lines = _table([[0, 5, 12]])
    shown = suppress(cells, lines)
    assert shown[(0, 0)] == 0 and shown[(0, 1)] == 5 and shown[(0, 2)] == 12
    cells, lines = _table([[1, 4, 12]])
    shown = suppress(cells, lines)
    assert (shown[(0, 0)], shown[(0, 1)]) == (HIDDEN, HIDDEN)


def test_one_hidden_count_in_a_row_hides_the_smallest_other():
    cells, lines = _table([[3, 6, 20], [7, 9, 30]])
    shown = suppress(cells, lines)
    assert shown[(0, 0)] == HIDDEN  # primary
    assert shown[(0, 1)] == HIDDEN  # secondary in its row (6 < 20)
    assert shown[(1, 0)] == HIDDEN and shown[(1, 1)] == HIDDEN  # secondary in their columns
    assert shown[(0, 2)] == 20 and shown[(2, 3)] == 75


def test_without_secondary_suppression_a_total_gives_the_small_count_back():
    # The failure the secondary step prevents: primary suppression alone is recoverable.
    cells, lines = _table([[3, 6, 20], [7, 9, 30]])
    primary_only = {k: HIDDEN if k in primary(cells) else v for k, v in cells.items()}
    assert recoverable(primary_only, cells, lines) == {(0, 0)}
    assert recoverable(suppress(cells, lines), cells, lines) == set()


def test_no_hidden_count_is_ever_recoverable_from_random_tables():
    rng = random.Random(13)
    for _ in range(300):
        rows = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15]) for _ in range(rng.randint(1, 6))]]
        rows += [[rng.choice([0, 1, 3, 5, 8, 20]) for _ in rows[0]] for _ in range(rng.randint(0, 3))]
        cells, lines = _table(rows)
        shown = suppress(cells, lines)
        assert recoverable(shown, cells, lines) == set(), rows
        assert all(shown[k] == HIDDEN for k in primary(cells))
