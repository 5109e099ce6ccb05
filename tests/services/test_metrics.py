"""What an operator graphs, from every running service's /metrics after a morning's traffic.

promtool (Prometheus's own lint) checks every exposition; then the figures
themselves: HTTP by route template, process metrics, the branch figures
(staff only, computed at the scrape), the active routing replica, and every
follower's lag and applied events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.services.metrics_hall import MetricsHall, busy_hall, families, samples, value
from tests.support.buses import BOTH, EMBEDDED
from tests.support.clock import MovingClock
from tests.support.promtool import check_metrics

# Every service has these, from the kit (the parser drops a counter's _total).
KIT_FAMILIES = {
    "process_cpu_seconds",
    "process_resident_memory_bytes",
    "process_open_fds",
    "python_info",
    "python_gc_collections",
    "qms_http_requests",
    "qms_http_request_seconds",
    "qms_service_info",
}
BRANCH_FIGURES = {
    "qms_waiting_tickets",
    "qms_longest_wait_seconds",
    "qms_target_wait_seconds",
    "qms_estimated_wait_seconds",
    "qms_open_desks",
    "qms_branch_open_desks",
    "qms_appointments_today",
    "qms_appointments_due",
}
# The morning's domain events: a booking, two tickets, a desk opened, a call.
EVENTS = 5


@pytest.fixture(params=BOTH)
async def hall(
    request: pytest.FixtureRequest, tmp_path: Path, branch_id: str
) -> AsyncIterator[MetricsHall]:
    async with busy_hall(request.param, tmp_path / "bus", branch_id) as running:
        yield running


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
async def embedded_hall(
    tmp_path: Path, branch_id: str, clock: MovingClock
) -> AsyncIterator[MetricsHall]:
    async with busy_hall(EMBEDDED, tmp_path / "bus", branch_id, clock) as running:
        yield running


def test_promtool_reports_what_it_finds() -> None:
    # The lint below is real: a counter without `_total` is a problem it names.
    problems = check_metrics("# HELP qms_calls Calls\n# TYPE qms_calls counter\nqms_calls 1\n")
    assert problems == ['qms_calls counter metrics should have "_total" suffix']


async def test_every_service_passes_promtool_after_traffic(hall: MetricsHall) -> None:
    assert len(hall.all) == 5
    for service in hall.all:
        text = await hall.scrape(service)
        assert check_metrics(text) == [], f"{service.name}:\n{text}"
        missing = KIT_FAMILIES - families(text)
        assert not missing, f"{service.name} lacks {sorted(missing)}"


async def test_http_requests_are_counted_by_route_template_never_by_path(
    embedded_hall: MetricsHall,
) -> None:
    hall = embedded_hall
    # A WebDAV method: HTTP knows it, the label set does not.
    async with hall.http.request("PROPFIND", hall.services.url("ticketing", "/healthz")) as answer:
        assert answer.status == 405
    ticketing = await hall.scrape(hall.running("ticketing"))
    tickets = "/api/v1/branches/{branch}/tickets"
    counted = {
        (tickets, "POST", "201"): 2.0,
        (tickets + "/{ticket_id}", "GET", "200"): 1.0,
        ("/api/v1/branches/{branch}/appointments/slots", "GET", "200"): 1.0,
        ("/api/v1/branches/{branch}/appointments", "POST", "201"): 1.0,
        ("unmatched", "GET", "404"): 1.0,
        ("unmatched", "DELETE", "405"): 1.0,
        ("unmatched", "other", "405"): 1.0,
    }
    for (route, method, status), count in counted.items():
        got = value(ticketing, "qms_http_requests_total", route=route, method=method, status=status)
        assert got == count, (route, method, status, got)
    timed = value(ticketing, "qms_http_request_seconds_count", route=tickets, method="POST")
    assert timed == 2.0

    display = await hall.scrape(hall.running("display"))
    socket = "/ws/display/{branch}/{area}"
    assert (
        value(display, "qms_http_requests_total", route=socket, method="GET", status="101") == 1.0
    )
    # A WebSocket is counted, not timed: its handler lasts as long as the socket.
    assert value(display, "qms_http_request_seconds_count", route=socket, method="GET") is None

    ids = {hall.branch, *(t["ticket_id"] for t in hall.done["tickets"])}
    for service in hall.all:
        routes = {
            dict(labels)["route"]
            for (name, labels) in samples(await hall.scrape(service))
            if name == "qms_http_requests_total"
        }
        assert "unmatched" in routes, service.name
        for route in routes:
            assert route == "unmatched" or route.startswith("/"), route
            assert not any(i in route for i in ids), f"{service.name} counts a raw path: {route}"


async def test_the_staff_service_exports_the_branch_figures_at_scrape_time(
    embedded_hall: MetricsHall, clock: MovingClock
) -> None:
    hall = embedded_hall
    waiting = hall.done["tickets"][1]
    issued = dt.datetime.fromisoformat(waiting["issued_at"])
    clock.advance(dt.timedelta(seconds=90))

    before = clock()
    staff = await hall.scrape(hall.running("staff"))
    after = clock()

    b = hall.branch
    pas = {"branch": b, "area": "service", "service": "pas"}
    library = {"branch": b, "area": "kvik", "service": "bibliotek"}
    assert value(staff, "qms_waiting_tickets", **pas) == 1.0
    assert value(staff, "qms_waiting_tickets", **library) == 0.0
    longest = value(staff, "qms_longest_wait_seconds", **pas)
    assert longest is not None
    assert round((before - issued).total_seconds()) <= longest
    assert longest <= round((after - issued).total_seconds())
    assert longest >= 90
    assert value(staff, "qms_longest_wait_seconds", **library) == 0.0
    assert value(staff, "qms_target_wait_seconds", **pas) == 15 * 60
    assert value(staff, "qms_target_wait_seconds", **library) == 5 * 60
    assert value(staff, "qms_open_desks", **pas) == 1.0
    assert value(staff, "qms_open_desks", **library) == 0.0
    assert value(staff, "qms_branch_open_desks", branch=b) == 1.0
    estimated = value(staff, "qms_estimated_wait_seconds", **pas)
    assert estimated is not None and estimated > 0
    assert value(staff, "qms_appointments_today", branch=b, status="booked") == 1.0
    for status in ("checked_in", "cancelled", "missed"):
        assert value(staff, "qms_appointments_today", branch=b, status=status) == 0.0
    assert value(staff, "qms_appointments_due", branch=b) == 0.0

    # Read at the scrape, not kept: a minute later, with no event, a minute longer.
    clock.advance(dt.timedelta(seconds=60))
    later = await hall.scrape(hall.running("staff"))
    assert value(later, "qms_longest_wait_seconds", **pas) in (longest + 60, longest + 61)

    # One place: no other service exports them.
    for service in hall.all:
        if service.name != "staff":
            text = await hall.scrape(service)
            assert not BRANCH_FIGURES & families(text), service.name


async def test_the_routing_replica_that_consumes_is_marked_active(hall: MetricsHall) -> None:
    def commands(text: str) -> float:
        return sum(v for (name, _), v in samples(text).items() if name == "qms_commands_total")

    texts = [await hall.scrape(replica) for replica in hall.routings]
    marked = [value(text, "qms_routing_active", branch=hall.branch) or 0.0 for text in texts]
    assert sorted(marked) == [0.0, 1.0], marked
    assert all(value(t, "qms_routing_active", branch=hall.branch) is not None for t in texts)
    active = marked.index(1.0)
    assert commands(texts[active]) >= 4
    assert commands(texts[1 - active]) == 0

    # The active one stops: the standby is handed the next command, and says so.
    await hall.services.stop(hall.routings[active])
    standby = hall.routings[1 - active]
    assert (await hall.desk.desk("kvik-1", "open"))[0] == 200
    now = await hall.scrape(standby)
    assert value(now, "qms_routing_active", branch=hall.branch) == 1.0
    assert commands(now) >= 1


async def test_every_follower_measures_its_lag_and_counts_applied_events(
    hall: MetricsHall,
) -> None:
    b = hall.branch
    for service in hall.all:
        text = await hall.scrape(service)
        assert value(text, "qms_events_caught_up", branch=b) == 1.0, service.name
        assert value(text, "qms_events_lag_seconds_count", branch=b) == EVENTS, service.name
        lag = value(text, "qms_events_lag_seconds_sum", branch=b)
        assert lag is not None and 0 <= lag < EVENTS * 5, service.name
        applied = {
            dict(labels)["type"]: v
            for (name, labels), v in samples(text).items()
            if name == "qms_events_applied_total"
        }
        assert applied == {
            "appointment.booked": 1.0,
            "ticket.issued": 2.0,
            "counter.opened": 1.0,
            "ticket.called": 1.0,
        }, service.name

    # A display started now replays the morning: that is not lag, nor new calls.
    late = await hall.services.start_one("display")
    replayed = await hall.scrape(late)
    assert value(replayed, "qms_events_caught_up", branch=b) == 1.0
    assert value(replayed, "qms_events_lag_seconds_count", branch=b) is None
    assert "qms_events_applied_total" not in {name for name, _ in samples(replayed)}
    status, _ = await hall.desk.desk("service-1", "start")
    assert status == 200
    hall.routings.append(late)  # settled() waits for it too
    await hall.settled()
    text = await hall.scrape(late)
    assert value(text, "qms_events_lag_seconds_count", branch=b) == 1.0
    assert value(text, "qms_events_applied_total", branch=b, type="ticket.serving") == 1.0
