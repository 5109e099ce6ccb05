"""Figures computed once per (state, configuration, second) and shared by every reader.

The services list, the ticket status and the staff overview are read far
more often than the queue changes, and each figure of the whole branch walks
the queue. A state changes only through `apply`, which moves `seq`, so
(seq, configuration) says which queue a figure was computed from. The
figures also move with the clock (waits grow, service times run), so a
figure is reused within one whole second of the clock (`MEMO_BUCKET_S`):
docs/architecture.md, "Shared figures", says why that is honest. A shared
figure is read by many: callers must not change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar, cast

from shared.config.schema import BranchConfig
from shared.projection.state import BranchState

# How long (seconds of `now`) a figure that depends on the clock is reused.
MEMO_BUCKET_S = 1.0

T = TypeVar("T")


def memoised(
    state: BranchState,
    config: BranchConfig,
    now: dt.datetime,
    name: str,
    compute: Callable[[], T],
) -> T:
    """`compute()`, or what it gave for the same state, configuration and second."""
    hit = peek(state, config, now, name)
    if hit is not None:
        return cast(T, hit)
    value = compute()
    state.memo[name] = (_key(state, now), config, value)
    return value


def peek(state: BranchState, config: BranchConfig, now: dt.datetime, name: str) -> object | None:
    """What `memoised` holds for `name` now, or None."""
    hit = state.memo.get(name)
    if hit is not None and hit[1] is config and hit[0] == _key(state, now):
        return hit[2]
    return None


def _key(state: BranchState, now: dt.datetime) -> tuple[int, int, int]:
    return (state.seq, int(now.timestamp() // MEMO_BUCKET_S), _calendar_version(state))


def _calendar_version(state: BranchState) -> int:
    # An earlier day's event read at start-up books into today's calendar
    # without moving `seq`: its day's fence moves instead.
    calendar = state.calendar
    return sum(f.seq for f in calendar.fences.values()) if calendar is not None else 0
