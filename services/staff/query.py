"""Query parameters of the staff API: a bad one is 422 `invalid_request` naming it.

The date rule is the one the slots route shares with the citizen API
(`query_day` in shared/runtime/slots.py): a date before 2000 is refused too,
as no hall's log reaches back that far (README, the staff API).
"""

from __future__ import annotations

import datetime as dt

from shared.http.body import STAFF_BODY, invalid_field
from shared.http.problem import ProblemError
from shared.runtime.slots import query_day


def invalid(field: str, detail: str) -> ProblemError:
    return invalid_field(STAFF_BODY.invalid_code, field, detail)


def query_date(name: str, text: str | None, default: dt.date) -> dt.date:
    """A `YYYY-MM-DD` parameter; absent means `default` (the shared rule, staff's code)."""
    return query_day(STAFF_BODY, name, text, default)
