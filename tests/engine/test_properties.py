"""Properties over random command sequences on several desks and services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contract import (
    Command,
    Reply,
    decode_event,
    decode_reply,
    encode_event,
    encode_reply,
)
from shared.projection import (
    AT_DESK,
    BranchState,
    TicketStatus,
    apply_all,
    estimates,
    target_seconds,
)
from tests.engine.hall import Hall
from tests.projection.branch import make_config

CONFIG = make_config(max_recalls=1)
SERVICES = [s.id for s in CONFIG.services]
DESKS = [c.id for c in CONFIG.counters]
SKILLS = {c.id: c.skills for c in CONFIG.counters}
TARGETS = target_seconds(CONFIG)

# "busy:i" is resolved when the step runs to the i-th desk holding a ticket, so
# recall/start/finish/no-show/transfer often meet a desk they can act on.
counter = st.sampled_from(DESKS * 2 + ["ghost"]) | st.integers(0, 4).map(lambda i: f"busy:{i}")
index = st.integers(min_value=0, max_value=200)
issue = st.tuples(st.just("issue"), st.sampled_from(SERVICES), st.sampled_from([0, 0, 0, 1]))
action = st.one_of(
    issue,
    issue,
    issue,
    st.tuples(st.just("open"), counter, st.booleans()),
    st.tuples(st.just("close_counter"), counter),
    st.tuples(st.just("call_next"), counter),
    st.tuples(st.just("call_next"), counter),
    st.tuples(st.just("call_next"), counter),
    st.tuples(st.just("call_ticket"), counter, index),
    st.tuples(st.sampled_from(["recall", "start_serving", "finish", "no_show"]), counter),
    st.tuples(st.sampled_from(["recall", "start_serving", "finish", "no_show"]), counter),
    st.tuples(st.sampled_from(["recall", "no_show"]), counter),
    st.tuples(st.just("transfer"), counter, st.sampled_from(SERVICES), st.booleans()),
    st.tuples(st.just("cancel"), index, st.booleans()),
    st.tuples(st.just("retry"), index),
    st.tuples(st.just("issue_pas")),
    # A manager pauses a service (None: until resumed; else for that many seconds) or resumes it.
    st.tuples(st.just("pause"), st.sampled_from(SERVICES), st.none() | st.integers(1, 900)),
    st.tuples(st.just("resume"), st.sampled_from(SERVICES)),
)
# Seconds between steps; often none, so equal waits (ties) happen.
pause = st.just(0) | st.integers(min_value=0, max_value=400)
steps = st.lists(st.tuples(pause, action), min_size=40, max_size=100)
# Desks open before the first step (each with all its skills).
opened_first = st.sets(st.sampled_from(DESKS), min_size=1)
# Where the day is closed (None: not at all); steps after it see a closed day.
close_at = st.none() | st.integers(min_value=0, max_value=100)


def build(hall: Hall, step: tuple[Any, ...], sent: list[tuple[Command, Reply]]) -> Command | None:
    kind = step[0]
    tickets = list(hall.state.tickets)
    busy = sorted(c.id for c in hall.state.counters.values() if c.ticket is not None)
    if len(step) > 1 and isinstance(step[1], str) and step[1].startswith("busy:"):
        i = int(step[1][5:])
        step = (kind, busy[i % len(busy)] if busy else DESKS[i], *step[2:])

    def pick(i: int) -> str:
        return tickets[i % len(tickets)] if tickets else "nope"

    if kind == "issue":
        return hall.command("issue_ticket", service=step[1], priority=step[2])
    if kind == "issue_pas":
        return hall.command("issue_ticket", service="pas")
    if kind == "open":
        services = None
        if step[2] and step[1] in SKILLS:
            services = SKILLS[step[1]][:1]
        return hall.command("open_counter", counter=step[1], services=services)
    if kind in ("close_counter", "call_next", "recall", "start_serving", "finish", "no_show"):
        return hall.command(kind, counter=step[1])
    if kind == "call_ticket":
        return hall.command(kind, counter=step[1], ticket_id=pick(step[2]))
    if kind == "transfer":
        position = "front" if step[3] else "back"
        return hall.command(kind, counter=step[1], service=step[2], position=position)
    if kind == "cancel":
        return hall.command(
            "cancel_ticket", ticket_id=pick(step[1]), reason="staff" if step[2] else "citizen"
        )
    if kind == "pause":
        until = None if step[2] is None else hall.now + dt.timedelta(seconds=step[2])
        return hall.command("pause_service", service=step[1], until=until)
    if kind == "resume":
        return hall.command("resume_service", service=step[1])
    if kind == "retry":
        return sent[step[1] % len(sent)][0] if sent else None
    return hall.command(kind)


def expected_first(state: BranchState, hall: Hall, services: tuple[str, ...]) -> set[str]:
    """The tickets a fair call_next may pick (all equally deserving)."""

    def key(t_id: str) -> tuple[int, float]:
        t = state.tickets[t_id]
        waited = max(0.0, hall.now.timestamp() - t.queued_at.timestamp())
        return (-t.priority, -waited / TARGETS[t.service])

    eligible = [t.id for t in state.waiting.values() if t.service in services]
    if not eligible:
        return set()
    best = min(key(t) for t in eligible)
    tied = [t for t in eligible if key(t) == best]
    first = min(state.tickets[t].queue_order for t in tied)
    return {t for t in tied if state.tickets[t].queue_order == first}


def check_invariants(state: BranchState) -> None:
    numbers = [t.number for t in state.tickets.values()]
    assert len(numbers) == len(set(numbers)), "numbers are unique in the day"
    for prefix, last in state.last_number.items():
        mine = sorted(int(n[1:]) for n in numbers if n[0] == prefix)
        assert mine == list(range(1, last + 1)), "numbers count 001, 002, ... per prefix"
    waiting = {t.id for t in state.tickets.values() if t.status is TicketStatus.WAITING}
    assert waiting == set(state.waiting), "the waiting index is exactly the waiting tickets"
    held = [c.ticket for c in state.counters.values() if c.ticket is not None]
    assert len(held) == len(set(held)), "a ticket is at most at one desk"
    for desk in state.counters.values():
        if desk.ticket is not None:
            ticket = state.tickets[desk.ticket]
            assert ticket.status in AT_DESK and ticket.counter == desk.id
            assert desk.is_open, "a closed desk holds no ticket"
    for ticket in state.tickets.values():
        if ticket.status in AT_DESK:
            assert ticket.id in held, "a called or serving ticket is at a desk"
        else:
            assert ticket.id not in held


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opened_first, steps, close_at)
def test_random_days_keep_every_rule(
    desks: set[str], plan: list[tuple[int, tuple[Any, ...]]], close_day_at: int | None
) -> None:
    hall = Hall(CONFIG)
    for desk in sorted(desks):
        hall.open(desk)
    sent: list[tuple[Command, Reply]] = []
    for number, (seconds, step) in enumerate(plan):
        hall.tick(seconds)
        step = ("close_day",) if number == close_day_at else step
        command = build(hall, step, sent)
        if command is None:
            continue
        is_retry = step[0] == "retry"
        fair: set[str] = set()
        if command.type == "call_next" and command.id not in hall.state.commands:
            caller = hall.state.counters.get(command.data.model_dump()["counter"])
            if caller is not None and caller.is_open:
                fair = expected_first(hall.state, hall, caller.services)
        written = len(hall.log)
        issued_for = str(command.data.model_dump().get("service"))
        paused = command.type == "issue_ticket" and hall.state.pause_of(issued_for, hall.now)
        reply = hall.send(command)
        assert decode_reply(encode_reply(reply)) == reply, "every reply fits the wire"
        if is_retry:
            first = next(r for c, r in sent if c.id == command.id)
            assert len(hall.log) == written, "a retry writes nothing"
            assert reply.ok == first.ok
            assert reply.replayed and not first.replayed, "the engine tells a retry as one"
            live = {"position", "estimated_wait_s"}
            if command.type != "issue_ticket":
                assert reply.model_copy(update={"replayed": False}) == first
            elif reply.result and first.result:
                assert {k: v for k, v in reply.result.items() if k not in live} == {
                    k: v for k, v in first.result.items() if k not in live
                }
            continue
        if reply.ok:
            sent.append((command, reply))
            assert len(hall.log) > written
        else:
            assert len(hall.log) == written, "a refusal writes nothing"
        if paused:  # the day may be closed too: that refusal speaks first
            assert reply.error is not None and reply.error.code in ("paused", "closed")
        if command.type == "call_next" and reply.ok and reply.result:
            assert reply.result["ticket_id"] in fair, "call_next picks the most deserving"
        check_invariants(hall.state)
        assert set(estimates(hall.state, CONFIG, hall.now)) == set(hall.state.waiting)
    replica = BranchState.fresh(CONFIG, hall.state.day)
    applied = apply_all(replica, [decode_event(encode_event(e)) for e in hall.log])
    assert applied == len(hall.log)
    assert replica == hall.state, "the log alone rebuilds the engine's state"
    for command_id in hall.state.commands:
        assert Hall.reply_on(replica, hall, command_id) == hall.reply_for(command_id)
