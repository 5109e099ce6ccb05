"""Query parameters of the staff API: a bad one is 422 `invalid_request` naming it."""

from __future__ import annotations

import datetime as dt

from shared.http.body import STAFF_BODY, invalid_field
from shared.http.problem import ProblemError


def invalid(field: str, detail: str) -> ProblemError:
    return invalid_field(STAFF_BODY.invalid_code, field, detail)


def query_date(name: str, text: str | None, default: dt.date) -> dt.date:
    """A `YYYY-MM-DD` parameter; absent means `default`."""
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise invalid(name, f"{text!r} is not a date like 2026-11-29") from exc
