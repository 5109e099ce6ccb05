"""Erlang B and C against published figures.

- Erlang B tables: 10 lines offered 5 erlangs lose 1.84 % of the calls.
- M/M/3 with 2 erlangs: P(wait) = 4/9 exactly (B(3, 2) = 4/19 by hand).
- The worked call-centre example (100 calls per half hour, 180 s handling,
  80 % answered within 20 s; 10 erlangs): 11 agents wait 68.21 % of the calls
  with service level 39.0 % and 122.8 s average wait; 13 agents reach 79.6 %,
  14 agents 88.8 % (7.8 s average): 14 are needed.
"""

from __future__ import annotations

import pytest

from shared.projection.erlang import (
    desks_needed,
    erlang_b,
    erlang_c,
    mean_wait_s,
    traffic,
    wait_beyond,
)


def test_erlang_b_matches_the_tables() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.0184, abs=5e-5)
    assert erlang_b(0, 3.0) == 1.0


def test_erlang_c_of_three_desks_and_two_erlangs_is_four_ninths() -> None:
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)


@pytest.mark.parametrize(
    ("desks", "waits", "within_20_s", "mean_s"),
    [
        (11, 0.6821, 0.3896, 122.78),
        (12, 0.4494, 0.6402, 40.44),
        (13, 0.2853, 0.7956, 17.12),
        (14, 0.1741, 0.8884, 7.84),
    ],
)
def test_the_worked_call_centre_example(
    desks: int, waits: float, within_20_s: float, mean_s: float
) -> None:
    a = traffic(200, 180)  # 100 calls a half hour
    assert a == pytest.approx(10.0)
    assert erlang_c(desks, a) == pytest.approx(waits, abs=1e-4)
    assert 1 - wait_beyond(desks, a, 180, 20) == pytest.approx(within_20_s, abs=1e-4)
    mean = mean_wait_s(desks, a, 180)
    assert mean is not None and mean == pytest.approx(mean_s, abs=0.01)


def test_desks_needed_is_the_fewest_that_serve_80_percent_within_the_target() -> None:
    assert desks_needed(200, 180, 20) == 14
    # A hall's service: 6 an hour, 10 minutes each (1 erlang), 15 minutes' target.
    needed = desks_needed(6, 600, 900)
    assert 1 - wait_beyond(needed, 1.0, 600, 900) >= 0.8
    assert 1 - wait_beyond(needed - 1, 1.0, 600, 900) < 0.8


def test_no_arrivals_need_no_desk_and_an_overloaded_queue_has_no_mean_wait() -> None:
    assert desks_needed(0, 600, 900) == 0
    assert erlang_c(2, 2.0) == 1.0
    assert mean_wait_s(2, 2.5, 600) is None
    assert mean_wait_s(1, 0.0, 600) == 0.0
    # However tiny the traffic, someone has to be there.
    assert desks_needed(0.01, 1, 900) == 1
