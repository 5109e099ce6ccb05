"""Quiet hours: when a service is usually quiet later today, from the demand figures.

The kiosk and the phone say "Kom helst kl. 14–15" when the queue is long.
For each staffed hour still ahead today (the hour starts at or after now;
cut to the staffed ranges), the expected wait is Erlang C's mean wait with
that weekday-hour's usual arrivals and service time and the desks usually
open then (the average rounded, at most the desks configured for the
service). An hour the usual desks could not keep up with is never quiet,
and an hour the window never saw staffed says nothing: both are left out.
Best first; no history, no quiet hours.
"""

from __future__ import annotations

import datetime as dt

from shared.config.schema import BranchConfig, Service
from shared.projection.demand import Demand, hour_pieces
from shared.projection.erlang import mean_wait_s, traffic
from shared.projection.hours import clock_text, local_day, staffed_ranges


def quiet_hours(
    config: BranchConfig, service: Service, demand: Demand | None, now: dt.datetime
) -> list[dict[str, object]]:
    """`quiet_hours` of a service in the services list: `from`, `to`, `estimated_wait_s`."""
    if demand is None:
        return []
    configured = sum(1 for counter in config.counters if service.id in counter.skills)
    ranked: list[tuple[float, float, dict[str, object]]] = []
    for start, end in staffed_ranges(config, local_day(config, now)):
        for piece, weekday, hour, seconds in hour_pieces(config, start, end):
            if piece.timestamp() < now.timestamp():
                continue
            figures = demand.hour(service.id, weekday, hour)
            if figures is None:
                continue
            desks = min(configured, round(figures.desks_open))
            usual_s = figures.service_s or 0.0
            wait = mean_wait_s(desks, traffic(figures.arrivals_per_h, usual_s), usual_s)
            if wait is None:
                continue
            until = dt.datetime.fromtimestamp(piece.timestamp() + seconds, config.branch.tz)
            entry: dict[str, object] = {
                "from": piece.strftime("%H:%M"),
                "to": clock_text(config, until),
                "estimated_wait_s": round(wait),
            }
            ranked.append((wait, piece.timestamp(), entry))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in ranked]
