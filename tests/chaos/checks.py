"""After the chaos: the branch's whole day read back from the log, and what must hold.

Reading is what tests/routing/test_failover.py does: a LiveBranch fed by a
reader from before the test began, up to a marker of our own, on a fresh
broker connection (the broker restarted during the run).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from shared.bus.rabbit import RabbitBus
from shared.config import BranchConfig
from shared.contract import Event, TicketCalled, TicketIssued
from shared.projection import BranchState, Verdict, apply, estimate_for, local_day
from shared.runtime.live import LiveBranch
from tests.services.conftest import AMQP_URL
from tests.support.events import read_back


async def read_day(config: BranchConfig, since: dt.datetime) -> tuple[LiveBranch, list[Event]]:
    """The branch's log up to now: the live state and every applied event in order."""
    bus = RabbitBus(AMQP_URL)
    await bus.start()
    try:
        return await read_back(bus, config, since, reader="chaos-test", within=60.0)
    finally:
        await bus.close()


def check_log(config: BranchConfig, applied: list[Event], issued_201: dict[str, str]) -> None:
    """Every 201 ticket issued exactly once, numbers unique, one desk per ticket at a time."""
    issued = [e.data for e in applied if isinstance(e.data, TicketIssued)]
    per_id = Counter(d.ticket_id for d in issued)
    assert all(per_id[t] == 1 for t in issued_201), {
        t: per_id[t] for t in issued_201 if per_id[t] != 1
    }
    numbers = Counter(d.number for d in issued)
    assert all(n == 1 for n in numbers.values()), [k for k, n in numbers.items() if n > 1]
    by_id = {d.ticket_id: d.number for d in issued}
    wrong = {t: (n, by_id.get(t)) for t, n in issued_201.items() if by_id.get(t) != n}
    assert not wrong, f"a 201 answered a number the log does not hold: {wrong}"

    replay = BranchState.fresh(config, local_day(config, dt.datetime.now(dt.UTC)))
    for event in applied:
        assert apply(replay, event) is Verdict.APPLY, event
        holders = Counter(c.ticket for c in replay.counters.values() if c.ticket is not None)
        twice = [t for t, n in holders.items() if n > 1]
        assert not twice, f"after seq {event.seq} ticket(s) {twice} held by two desks"
        if isinstance(event.data, TicketCalled):
            desk = replay.counters[event.data.counter]
            assert desk.ticket == event.data.ticket_id, event


def screen_expected(state: BranchState, config: BranchConfig, area: str) -> dict[str, str]:
    """What a screen of `area` must show as serving: desk -> number."""
    areas = {desk.id: desk.area for desk in config.counters}
    out: dict[str, str] = {}
    for desk in state.counters.values():
        if desk.ticket is None or areas.get(desk.id) != area:
            continue
        ticket = state.tickets[desk.ticket]
        if ticket.at_desk and ticket.counter == desk.id:
            out[desk.id] = ticket.number
    return out


def phone_expected(state: BranchState, config: BranchConfig, ticket_id: str) -> dict[str, Any]:
    ticket = state.tickets[ticket_id]
    estimate = estimate_for(state, config, ticket_id, dt.datetime.now(dt.UTC))
    return {"status": ticket.status.value, "position": estimate.position if estimate else None}
