"""The incident state machine: forward along the night, never back (except out of uncovered)."""

from __future__ import annotations

import pytest

from api.incidents.models import STATES
from api.incidents.timeline import can_move

NIGHT = [
    "reported",
    "paging",
    "acknowledged",
    "attending",
    "support_recorded",
    "handed_over",
    "picked_up",
    "closed",
]


def test_the_night_order_is_the_model_order():
    assert [s for s in STATES if s != "uncovered"] == NIGHT


@pytest.mark.parametrize("i", range(len(NIGHT)))
def test_only_forward_moves(i):
    current = NIGHT[i]
    for j, target in enumerate(NIGHT):
        assert can_move(current, target) is (j > i), (current, target)


def test_uncovered_only_from_a_live_page_and_out_only_by_a_response():
    assert can_move("paging", "uncovered") and can_move("reported", "uncovered")
    assert not can_move("acknowledged", "uncovered")
    assert can_move("uncovered", "acknowledged") and can_move("uncovered", "attending")
    assert not can_move("uncovered", "paging") and not can_move("uncovered", "reported")
    assert not can_move("uncovered", "uncovered")


def test_unknown_states_never_move():
    assert not can_move("reported", "teleported")
    assert not can_move("limbo", "closed")
