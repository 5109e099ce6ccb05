"""When a ticket may be issued: the one statement of the rule (docs/queue-rules.md, "Issuing").

The engine refuses `issue_ticket` by it; the citizen API greys a kiosk button
by it before anyone taps. Both must say the same, so both call these.
"""

from __future__ import annotations

import datetime as dt

from shared.config.schema import BranchConfig
from shared.projection.hours import day_end, elapsed_s, next_opening, staffed_until
from shared.projection.state import BranchState


def staffed_window(
    state: BranchState, config: BranchConfig, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(closes_at, opens_at): when the staffed stretch under way ends, else when the next begins.

    A day closed by staff (`close_day`) opens again after that day, not later today.
    """
    if state.day_closed:
        last_moment = day_end(config, state.day) - dt.timedelta(microseconds=1)
        return None, next_opening(config, last_moment)
    closes = staffed_until(config, now)
    if closes is None:
        return None, next_opening(config, now)
    return closes, None


def runs_past_closing(closes: dt.datetime, now: dt.datetime, wait_s: int | None) -> bool:
    """Whether a ticket told to wait `wait_s` would still wait when the desks close."""
    return wait_s is not None and elapsed_s(closes, now) < wait_s
