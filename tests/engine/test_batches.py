"""Group commit: deciding a batch gives exactly what deciding its commands one at a time does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.routing.engine import CountingIds, decide_and_apply, decide_batch
from shared.contract import Command, CommandType, Event, Reply
from shared.projection import BranchState, Verdict, apply, local_day
from tests.engine.test_appointments import APPOINTMENTS
from tests.projection.branch import local

CONFIG = APPOINTMENTS.config()
START = local(2026, 11, 30, 9, 50)  # Monday, shortly before the first slot
DESKS = ["service-1", "service-2", "ghost"]
SERVICES = ["pas", "skat", "vielse"]
SLOTS = [
    local(2026, 11, 30, 10, 0) + dt.timedelta(days=day, minutes=15 * i)
    for day in (0, 1)
    for i in range(8)
]
_codes = CountingIds()
# The booking codes the engine hands out, in order (CountingIds is deterministic).
CODES = [_codes.appointment_code() for _ in range(40)]

desk = st.sampled_from([*DESKS[:2], *DESKS])
index = st.integers(min_value=1, max_value=10)
booking = st.integers(min_value=0, max_value=3)
earlier = st.integers(min_value=0, max_value=10_000)
action = st.one_of(
    st.tuples(st.just("issue_ticket"), st.sampled_from(SERVICES), st.sampled_from([0, 0, 1])),
    st.tuples(st.just("issue_ticket"), st.just("pas"), st.just(0)),
    st.tuples(st.just("open_counter"), desk),
    st.tuples(st.just("close_counter"), desk),
    st.tuples(st.just("call_next"), desk),
    st.tuples(st.just("call_next"), desk),
    st.tuples(st.just("call_ticket"), desk, index),
    st.tuples(st.sampled_from(["recall", "start_serving", "finish", "no_show"]), desk),
    st.tuples(st.sampled_from(["start_serving", "finish"]), desk),
    st.tuples(st.sampled_from(["start_serving", "finish"]), desk),
    st.tuples(st.just("transfer"), desk, st.sampled_from(SERVICES), st.booleans()),
    st.tuples(st.just("cancel_ticket"), index),
    st.tuples(st.just("book_appointment"), st.sampled_from(SLOTS)),
    st.tuples(st.just("book_appointment"), st.sampled_from(SLOTS[:3])),
    st.tuples(st.just("cancel_appointment"), booking.map(lambda i: i + 1)),
    st.tuples(st.just("check_in"), booking),
    st.tuples(st.just("check_in"), booking),
    # An earlier command sent again as it was (a retry), or its id reused for another request.
    st.tuples(st.just("retry"), earlier),
    st.tuples(st.just("retry"), earlier),
    st.tuples(st.just("reuse"), earlier),
    st.tuples(
        st.just("expired"),
    ),
    st.tuples(
        st.just("wrong_branch"),
    ),
)
# Seconds before a batch; the actions in it are decided together.
batch = st.tuples(
    st.just(0) | st.integers(min_value=0, max_value=300), st.lists(action, min_size=1, max_size=8)
)
plans = st.lists(batch, min_size=1, max_size=25)
# The batch that ends with the day closed (None: none does).
close_at = st.none() | st.integers(min_value=0, max_value=30)
OPEN_DESKS = [("open_counter", "service-1"), ("open_counter", "service-2")]


class Sender:
    """Builds the commands of the plan, as kiosks, desks and phones would send them."""

    def __init__(self) -> None:
        self.sent: list[Command] = []
        # Bookings asked for so far: a check-in names one of the latest.
        self.bookings = 0

    def build(self, step: tuple[Any, ...], now: dt.datetime) -> Command:
        kind, *args = step
        if kind in ("retry", "reuse") and not self.sent:
            kind, args = "issue_ticket", ["pas", 0]
        command: Command
        if kind == "retry":
            command = self.sent[args[0] % len(self.sent)]
        elif kind == "reuse":
            reused = self.sent[args[0] % len(self.sent)]
            data = {"service": "pas"} if reused.type != "issue_ticket" else {"counter": DESKS[0]}
            kind = "issue_ticket" if reused.type != "issue_ticket" else "call_next"
            command = self._command(kind, now, data, command_id=reused.id)
        elif kind == "expired":
            command = self._command(
                "issue_ticket", now - dt.timedelta(minutes=5), {"service": "pas"}
            )
        elif kind == "check_in":
            latest = max(0, self.bookings - 1 - args[0])
            command = self._command(kind, now, {"code": CODES[latest % len(CODES)]})
        elif kind == "wrong_branch":
            command = self._command("call_next", now, {"counter": DESKS[0]}, branch="elsewhere")
        else:
            command = self._command(kind, now, _data(kind, args))
        if command.type == "book_appointment":
            self.bookings += 1
        self.sent.append(command)
        return command

    def _command(
        self,
        kind: str,
        at: dt.datetime,
        data: dict[str, Any],
        *,
        command_id: str | None = None,
        branch: str | None = None,
    ) -> Command:
        return Command(
            id=command_id or f"c{len(self.sent) + 1}",
            type=CommandType(kind),
            branch=branch or CONFIG.id,
            at=at,
            actor="staff-1",
            data=data,
        )


def _data(kind: str, args: list[Any]) -> dict[str, Any]:
    if kind == "issue_ticket":
        return {"service": args[0], "priority": args[1]}
    if kind in ("open_counter", "close_counter", "call_next", "recall", "start_serving"):
        return {"counter": args[0]}
    if kind in ("finish", "no_show"):
        return {"counter": args[0]}
    if kind == "call_ticket":
        return {"counter": args[0], "ticket_id": f"t{args[1]}"}
    if kind == "transfer":
        return {"counter": args[0], "service": args[1], "position": "front" if args[2] else "back"}
    if kind == "cancel_ticket":
        return {"ticket_id": f"t{args[0]}"}
    if kind == "book_appointment":
        return {"service": "pas", "start": args[0]}
    if kind == "cancel_appointment":
        return {"appointment_id": f"a{args[0]}"}
    return {}


def one_at_a_time(
    state: BranchState, commands: list[Command], now: dt.datetime, ids: CountingIds
) -> list[tuple[Reply, tuple[Event, ...]]]:
    return [
        decide_and_apply(state, command, config=CONFIG, now=now, ids=ids, writer="w")
        for command in commands
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, close_at)
def test_a_batch_writes_and_answers_what_one_command_at_a_time_does(
    plan: list[tuple[int, list[tuple[Any, ...]]]], close_day_at: int | None
) -> None:
    now = START
    day = local_day(CONFIG, now)
    # The log reader's state (the writer's batches) and a writer deciding one at a time.
    reader, alone = BranchState.fresh(CONFIG, day), BranchState.fresh(CONFIG, day)
    batch_ids, alone_ids = CountingIds(), CountingIds()
    sender = Sender()
    for number, (pause, steps) in enumerate([(0, OPEN_DESKS), *plan]):
        now += dt.timedelta(seconds=pause)
        if local_day(CONFIG, now) != day:
            break
        if number == close_day_at:
            steps = [*steps, ("close_day",)]
        commands = [sender.build(step, now) for step in steps]
        before = reader.copy()

        decided = decide_batch(reader, commands, config=CONFIG, now=now, ids=batch_ids, writer="w")

        assert reader == before, "deciding a batch leaves the reader's state alone"
        expected = one_at_a_time(alone, commands, now, alone_ids)
        assert [(d.reply, d.events) for d in decided] == expected
        for one in decided:
            for event in one.events:
                assert apply(reader, event) is Verdict.APPLY
        assert reader == alone, "read back, the batch leaves the state one at a time leaves"


def test_in_a_batch_each_command_sees_the_ones_before_it() -> None:
    now = local(2026, 11, 30, 10, 0)
    state = BranchState.fresh(CONFIG, local_day(CONFIG, now))
    sender = Sender()
    steps: list[tuple[Any, ...]] = [
        ("open_counter", "service-1"),
        ("issue_ticket", "pas", 0),
        ("call_next", "service-1"),
        ("call_next", "service-2"),  # not open: refused, writes nothing
        ("retry", 2),  # the call again: answered as a retry
        ("finish", "service-1"),
        ("book_appointment", SLOTS[0]),
        ("check_in", 0),
        ("call_next", "service-1"),
    ]
    commands = [sender.build(step, now) for step in steps]

    decided = decide_batch(state, commands, config=CONFIG, now=now, ids=CountingIds(), writer="w")

    codes = [d.reply.error.code if d.reply.error else "ok" for d in decided]
    assert codes == ["ok", "ok", "ok", "counter_closed", "ok", "ok", "ok", "ok", "ok"]
    assert decided[4].reply.replayed and decided[4].events == ()
    assert decided[8].reply.result is not None and decided[8].reply.result["number"] == "T001"
    seqs = [event.seq for d in decided for event in d.events]
    assert seqs == list(range(1, len(seqs) + 1)), "refusals and retries take no seq"
    assert state.seq == 0 and not state.tickets, "the state handed in is left alone"
