"""Query parameters of the staff API: a bad one is 422 `invalid_request` naming it.

A date before `EARLIEST_DAY` is refused too: no hall's log reaches back that
far, and replaying from centuries ago would only meet the calendar's and the
broker's limits (README, the staff API).
"""

from __future__ import annotations

import datetime as dt

from shared.http.body import STAFF_BODY, invalid_field
from shared.http.problem import ProblemError

EARLIEST_DAY = dt.date(2000, 1, 1)


def invalid(field: str, detail: str) -> ProblemError:
    return invalid_field(STAFF_BODY.invalid_code, field, detail)


def query_date(name: str, text: str | None, default: dt.date) -> dt.date:
    """A `YYYY-MM-DD` parameter; absent means `default`."""
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise invalid(name, f"{text!r} is not a date like 2026-11-29") from exc
    if day < EARLIEST_DAY:
        raise invalid(name, f"{text} is before {EARLIEST_DAY}: no log reaches back that far")
    return day
