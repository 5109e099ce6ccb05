"""The per-service index of the waiting tickets gives the call order a full sort gives.

The references are the call order and figures as they were computed before
the index: a sort (or a scan) of every waiting ticket at every call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contract import (
    Event,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketNoShow,
    TicketTransferred,
)
from shared.projection import (
    BranchState,
    Ticket,
    apply,
    estimate_for,
    estimate_new,
    estimates,
    next_ticket,
    service_figures,
    target_seconds,
    waiting_in_call_order,
)
from shared.projection.estimates import DEFAULT_SERVICE_TIME_S, capacity
from shared.projection.memo import MEMO_BUCKET_S
from shared.projection.ordering import rank_key_at
from tests.projection.branch import MONDAY_10, EventLog, make_config

CONFIG = make_config()
DAY = MONDAY_10.date()
SERVICES = [s.id for s in CONFIG.services]
AREA = {s.id: s.area for s in CONFIG.services}
DESK_SERVICES = [c.skills for c in CONFIG.counters]


def reference_order(state: BranchState, now: dt.datetime) -> list[Ticket]:
    targets, now_ts = target_seconds(CONFIG), now.timestamp()
    return sorted(state.waiting.values(), key=lambda t: rank_key_at(t, now_ts, targets))


def reference_next(
    state: BranchState, services: Collection[str], now: dt.datetime
) -> Ticket | None:
    ordered = [t for t in reference_order(state, now) if t.service in services]
    return ordered[0] if ordered else None


def reference_places(state: BranchState, now: dt.datetime) -> dict[str, tuple[int, float]]:
    """Position and wait (unrounded) of every waiting ticket: the old walk of the full order."""
    ordered = reference_order(state, now)
    out: dict[str, tuple[int, float]] = {}
    for service in {t.service for t in ordered}:
        cap = capacity(state, CONFIG, service, now)
        work, position = cap.busy_s, 0
        for ticket in ordered:
            if ticket.service not in cap.competing:
                continue
            position += 1
            if ticket.service == service:
                out[ticket.id] = (position, work / cap.desks)
            work += state.service_time_s.get(ticket.service, DEFAULT_SERVICE_TIME_S)
    return out


def reference_new(state: BranchState, service: str, priority: int, now: dt.datetime) -> int:
    """How many tickets are ahead of one issued now (the old scan)."""
    cap = capacity(state, CONFIG, service, now)
    ahead = 0
    for ticket in state.waiting.values():
        if ticket.service not in cap.competing or ticket.priority < priority:
            continue
        early = ticket.appointment_ts is not None and ticket.appointment_ts > now.timestamp()
        if early and not ticket.priority:
            continue
        ahead += 1
    return ahead


def reference_work(state: BranchState, service: str, priority: int, now: dt.datetime) -> float:
    cap = capacity(state, CONFIG, service, now)
    work = cap.busy_s
    for ticket in state.waiting.values():
        if ticket.service not in cap.competing or ticket.priority < priority:
            continue
        early = ticket.appointment_ts is not None and ticket.appointment_ts > now.timestamp()
        if early and not ticket.priority:
            continue
        work += state.service_time_s.get(ticket.service, DEFAULT_SERVICE_TIME_S)
    return work


# Offsets in seconds from the log's clock: stamps a little "after" now
# happen (another replica's clock), and appointments before and after now.
offset = st.integers(min_value=-900, max_value=120)
issue = st.tuples(
    st.just("issue"),
    st.sampled_from(SERVICES),
    st.sampled_from([0, 0, 0, 1]),
    st.none() | st.integers(min_value=-1800, max_value=1800),
    offset,
)
pick = st.integers(min_value=0, max_value=50)
action = st.one_of(
    issue,
    issue,
    issue,
    st.tuples(st.sampled_from(["call", "cancel", "no_show"]), pick),
    st.tuples(st.just("transfer"), pick, st.sampled_from(SERVICES), st.booleans()),
    st.tuples(st.just("tick"), st.integers(min_value=0, max_value=600)),
)


def _step(log: EventLog, state: BranchState, step: tuple[object, ...], n: int) -> Event | None:
    kind = step[0]
    waiting = list(state.waiting)
    if kind == "issue":
        _, service, priority, appointment, skew = step
        assert isinstance(service, str) and isinstance(priority, int) and isinstance(skew, int)
        at = log.now + dt.timedelta(seconds=skew)
        booked = appointment is not None
        return log.add(
            TicketIssued(
                ticket_id=f"t{n}",
                number=f"A{n:03d}",
                service=service,
                area=AREA[service],
                priority=priority,
                channel="appointment" if booked else "kiosk",
                issued_at=at,
                appointment_id=f"b{n}" if booked else None,
                appointment_at=(
                    log.now + dt.timedelta(seconds=appointment)
                    if isinstance(appointment, int)
                    else None
                ),
            )
        )
    if kind == "tick":
        assert isinstance(step[1], int)
        log.tick(step[1])
        return None
    if not waiting:
        return None
    assert isinstance(step[1], int)
    ticket = state.waiting[waiting[step[1] % len(waiting)]]
    if kind == "call":
        return log.add(
            TicketCalled(
                ticket_id=ticket.id, number=ticket.number, counter="x", area="a", staff="s"
            )
        )
    if kind == "cancel":
        return log.add(TicketCancelled(ticket_id=ticket.id, reason="citizen"))
    if kind == "no_show":
        return log.add(TicketNoShow(ticket_id=ticket.id, counter="x"))
    _, _, to, front = step
    assert isinstance(to, str)
    return log.add(
        TicketTransferred(
            ticket_id=ticket.id,
            from_service=ticket.service,
            to_service=to,
            to_area=AREA[to],
            position="front" if front else "back",
        )
    )


def _check(state: BranchState, now: dt.datetime) -> None:
    assert [t.id for t in waiting_in_call_order(state, CONFIG, now)] == [
        t.id for t in reference_order(state, now)
    ]
    for services in [*DESK_SERVICES, SERVICES, ("pas",)]:
        found = next_ticket(state, CONFIG, services, now)
        expected = reference_next(state, services, now)
        assert (found.id if found else None) == (expected.id if expected else None)
    for service in SERVICES:
        for priority in (0, 1):
            estimate = estimate_new(state, CONFIG, service, priority, now)
            assert estimate.position == reference_new(state, service, priority, now) + 1
            if priority:  # no bookings here: the work ahead alone (sums may round apart)
                cap = capacity(state, CONFIG, service, now)
                assert estimate.wait_s is not None
                expected_s = reference_work(state, service, priority, now) / cap.desks
                assert abs(estimate.wait_s - expected_s) <= 0.5 + 1e-6
    places = reference_places(state, now)
    counted = {tid: estimate_for(state, CONFIG, tid, now) for tid in state.waiting}
    walked = estimates(state, CONFIG, now)
    assert counted == walked
    for tid, (position, wait_s) in places.items():
        estimate = walked[tid]
        assert estimate.position == position and estimate.wait_s is not None
        assert abs(estimate.wait_s - wait_s) <= 0.5 + 1e-6
    figures = service_figures(state, CONFIG, now)
    for service in SERVICES:
        mine = [t for t in state.waiting.values() if t.service == service]
        assert figures[service].waiting == len(mine)
        oldest = min((t.queued_ts for t in mine), default=None)
        since = figures[service].longest_since
        assert (since.timestamp() if since else None) == oldest


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(action, min_size=1, max_size=60),
    st.lists(st.integers(min_value=-1900, max_value=1900), min_size=1, max_size=4),
)
def test_the_indexed_call_order_is_the_full_sort(
    steps: list[tuple[object, ...]], moments: list[int]
) -> None:
    log, state = EventLog(DAY), BranchState.fresh(CONFIG, DAY)
    for n, step in enumerate(steps):
        event = _step(log, state, step, n)
        if event is not None:
            apply(state, event)
        for moment in moments:
            _check(state, log.now + dt.timedelta(seconds=moment))
    twin = state.copy()
    for moment in moments:
        _check(twin, log.now + dt.timedelta(seconds=moment))


def test_shared_figures_are_reused_within_the_second_and_not_past_a_new_event() -> None:
    log, state = EventLog(DAY), BranchState.fresh(CONFIG, DAY)
    first = log.add(
        TicketIssued(
            ticket_id="a",
            number="P001",
            service="pas",
            area="service",
            channel="kiosk",
            issued_at=log.now,
        )
    )
    apply(state, first)
    start = dt.datetime.fromtimestamp(
        (log.now.timestamp() // MEMO_BUCKET_S + 1) * MEMO_BUCKET_S, dt.UTC
    )
    figures = service_figures(state, CONFIG, start)
    assert service_figures(state, CONFIG, start + dt.timedelta(seconds=0.5)) is figures
    later = service_figures(state, CONFIG, start + dt.timedelta(seconds=MEMO_BUCKET_S))
    assert later is not figures
    apply(
        state,
        log.add(
            TicketIssued(
                ticket_id="b",
                number="P002",
                service="pas",
                area="service",
                channel="kiosk",
                issued_at=log.now,
            )
        ),
    )
    moved = service_figures(state, CONFIG, start + dt.timedelta(seconds=MEMO_BUCKET_S))
    assert moved["pas"].waiting == 2 and later["pas"].waiting == 1


def test_a_copied_index_moves_on_its_own() -> None:
    log, state = EventLog(DAY), BranchState.fresh(CONFIG, DAY)
    for n, service in enumerate(["pas", "pas", "skat"]):
        apply(state, _step(log, state, ("issue", service, 0, None, 0), n) or _never())
        log.tick(60)
    for twin in (state.copy(), state.waiting.copy()):
        index = twin.waiting if isinstance(twin, BranchState) else twin
        index.discard("t0")
        assert "t0" not in index and [k[2] for k in index.by_service["pas"].queued] == ["t1"]
    first = next_ticket(state, CONFIG, ("pas",), log.now)
    assert first is not None and first.id == "t0"
    assert [k[2] for k in state.waiting.by_service["pas"].queued] == ["t0", "t1"]


def _never() -> Event:
    raise AssertionError("an issue always writes an event")
