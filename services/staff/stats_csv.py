"""A day's statistics, or several days', as CSV (the `format=csv` of GET .../stats)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from services.staff.stats import HOURS

SUMMARY_COLUMNS = (
    "date",
    "service",
    "name",
    "area",
    "target_wait_s",
    "issued",
    "called",
    "served",
    "no_show",
    "cancelled",
    "transferred_in",
    "transferred_out",
    "wait_p50_s",
    "wait_p90_s",
    "wait_max_s",
    "service_p50_s",
    "service_p90_s",
    "within_target",
    "appointments_booked",
    "appointments_checked_in",
    "appointments_missed",
    "appointments_cancelled",
    "punctuality_p50_s",
    "punctuality_p90_s",
)


def to_csv(stats: dict[str, Any]) -> str:
    """One row per service and a last row `all`, each with arrivals and average wait per hour.

    RFC 4180 (comma, dot decimals, CRLF); empty cells where a figure has no value.
    """
    return days_csv([stats])


def days_csv(days: Iterable[dict[str, Any]]) -> str:
    """`to_csv` of several days under one header: each day's rows in turn, by date."""
    out = io.StringIO()
    writer = csv.writer(out)
    hour_columns = [f"arrivals_{h:02d}" for h in HOURS] + [f"average_wait_s_{h:02d}" for h in HOURS]
    writer.writerow([*SUMMARY_COLUMNS, *hour_columns])
    for stats in days:
        for service in [*stats["services"], stats["total"]]:
            row: list[Any] = [stats["date"]]
            for column in SUMMARY_COLUMNS[1:]:
                value = service[column]
                row.append(service["name"]["da"] if column == "name" else value)
            row += [h["arrivals"] for h in service["hours"]]
            row += [h["average_wait_s"] for h in service["hours"]]
            writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
