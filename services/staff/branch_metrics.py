"""The branches' live figures as Prometheus gauges, read from the state at each scrape.

What an operator graphs of a hall (waiting per service, the longest wait
against its target, open desks, today's bookings) is exactly what the
manager overview shows, so it comes from the same presenters in
`shared/projection` (`service_figures`, `target_wait_s`,
`appointments_today`), computed when Prometheus scrapes: exact at that
moment, and nothing is kept up to date between scrapes.

Only the staff service exports them (README, "Metrics"): one place, the
service that already serves these figures to the managers. A branch whose
reader has not read its log up to now has no series yet (a half-read
morning would show too few tickets waiting); `qms_events_caught_up` says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.projection import appointments_today, service_figures, target_wait_s
from shared.runtime.clock import Clock
from shared.runtime.follow import EventFollower

SERVICE_LABELS = ["branch", "area", "service"]


def _families() -> dict[str, GaugeMetricFamily]:
    def gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=labels)

    return {
        "waiting": gauge("qms_waiting_tickets", "Tickets waiting now, by service", SERVICE_LABELS),
        "longest": gauge(
            "qms_longest_wait_seconds",
            "How long the service's longest-waiting ticket has waited (its queue time)",
            SERVICE_LABELS,
        ),
        "target": gauge(
            "qms_target_wait_seconds", "The service's target wait (branch file)", SERVICE_LABELS
        ),
        "estimated": gauge(
            "qms_estimated_wait_seconds",
            "The wait a ticket taken now would be told (absent: no desk has the skill)",
            SERVICE_LABELS,
        ),
        "open_desks": gauge(
            "qms_open_desks",
            "Open desks that take the service (a desk taking two services counts in both)",
            SERVICE_LABELS,
        ),
        "branch_desks": gauge("qms_branch_open_desks", "Open desks of the branch", ["branch"]),
        "bookings": gauge(
            "qms_appointments_today",
            "Today's bookings by status (branches that take bookings)",
            ["branch", "status"],
        ),
        "due": gauge(
            "qms_appointments_due",
            "Bookings due now: in their check-in window, not checked in",
            ["branch"],
        ),
    }


class BranchFigures(Collector):
    """A collector over the follower's live states; register it in the service's registry."""

    def __init__(self, follower: EventFollower, clock: Clock) -> None:
        self._follower = follower
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        """The names, without reading any state (the registry checks them for clashes)."""
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        families = _families()
        now = self._clock()
        for branch_id in sorted(self._follower.caught_up):
            live = self._follower.lives[branch_id]
            config, state = live.config, live.state_for(now)
            figures = service_figures(state, config, now)
            for service in config.services:
                figure = figures[service.id]
                labels = [branch_id, figure.area, service.id]
                families["waiting"].add_metric(labels, figure.waiting)
                families["longest"].add_metric(labels, figure.longest_wait_s)
                families["target"].add_metric(labels, target_wait_s(service))
                if figure.estimated_wait_s is not None:
                    families["estimated"].add_metric(labels, figure.estimated_wait_s)
                families["open_desks"].add_metric(labels, figure.open_desks)
            families["branch_desks"].add_metric([branch_id], len(state.open_counters()))
            bookings = appointments_today(state, config, now)
            if bookings is not None:
                for status, count in bookings["counts"].items():
                    families["bookings"].add_metric([branch_id, status], count)
                families["due"].add_metric([branch_id], len(bookings["due"]))
        yield from families.values()
