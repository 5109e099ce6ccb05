"""Failover on the real broker: kill -9 the active routing replica under load.

Two routing processes serve one branch; kiosks issue about 200 tickets while
six desks call about 300 times, and citizens book appointments, check in by
code and cancel some (tests/support/booking_load.py). Mid-run the active
replica is killed. Then the whole log is read back and checked: every ticket
issued once with a unique number, never at two desks at once, every command
that got a success reply in the log exactly once, the first command after the
kill answered in 3 s; every booking told in the calendar once with its code,
no slot over its seats, each booking checked in at most once with the ticket
the citizen was told, and no check-in ticket called twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.bus.rabbit import RabbitBus
from shared.config import BranchConfig, load_branches
from shared.contract import (
    CallNext,
    Command,
    CommandData,
    CommandType,
    EventType,
    IssueTicket,
    OpenCounter,
    Reply,
    TicketCalled,
    TicketIssued,
)
from shared.errors import BusError
from shared.projection import BranchState, TicketStatus, Verdict, apply, local_day
from shared.runtime.commands import CommandClient
from tests.routing.conftest import routing_branch
from tests.services.conftest import AMQP_URL, delete_command_queue, free_ports
from tests.services.procs import spawn, stop_group, wait_healthy
from tests.support.booking_load import Bookings, Citizen, booking_branch, check_bookings, open_slots
from tests.support.branch import Desk, Service
from tests.support.events import command as support_command
from tests.support.events import read_back

pytestmark = pytest.mark.rabbitmq

DESKS = [f"desk-{i}" for i in range(1, 7)]
SERVICES = {"pas": "P", "koerekort": "K", "mitid": "M"}
CITIZENS = 3
BOOKINGS_EACH = 10  # at least, however fast the kiosks and desks are done


def branch_toml(branch: str) -> str:
    """Six desks that take every service; targets long enough that order is issue order.

    `pas` takes bookings, check-in open for hours (booking_branch).
    """
    hall = routing_branch(branch).but(
        name="Failover hall",
        desks=tuple(Desk.of(d, *SERVICES, area="service") for d in DESKS),
        services=tuple(Service.of(s, prefix=p, target=600, minutes=1) for s, p in SERVICES.items()),
    )
    return booking_branch(hall).toml()


@dataclass
class Outcome:
    command: Command
    sent: float
    answered: float
    reply: Reply | None


@dataclass
class Run:
    bus: Bus
    branch: str
    outcomes: list[Outcome] = field(default_factory=list)
    bookings: Bookings = field(default_factory=Bookings)

    async def send(self, kind: CommandType, data: CommandData) -> Reply | None:
        command = support_command(self.branch, data, actor="failover-test", kind=kind)
        sent = time.monotonic()
        try:
            reply: Reply | None = await self.bus.request(command, timeout=1.5, attempts=6)
        except BusError:  # a lost answer is what the checks below count
            reply = None
        self.outcomes.append(Outcome(command, sent, time.monotonic(), reply))
        return reply


@pytest.fixture
def branch() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def broker_bus(branch: str) -> AsyncIterator[Bus]:
    bus = RabbitBus(AMQP_URL)
    await bus.start()
    yield bus
    await bus.close()
    await delete_command_queue(branch)


async def test_killing_the_active_replica_loses_and_repeats_nothing(
    tmp_path: Path, branch: str, broker_bus: Bus
) -> None:
    (tmp_path / "b").mkdir()
    branch_file = tmp_path / "b" / f"{branch}.toml"
    branch_file.write_text(branch_toml(branch), encoding="utf-8")
    config = load_branches(str(branch_file))[branch]
    started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)

    replicas = []
    for name, port in zip(("first", "second"), free_ports(2), strict=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
        env.update(
            QMS_BRANCHES=str(branch_file),
            QMS_AMQP_URL=AMQP_URL,
            QMS_ROUTING_PORT=str(port),
            QMS_LOG_FORMAT="json",
        )
        log = tmp_path / f"{name}.log"
        proc = spawn(["services.routing"], env, log)
        replicas.append(proc)
        # One after the other: the first to consume is the active one.
        await asyncio.to_thread(wait_healthy, {"routing": port}, proc, log, 20.0)
    active, standby = replicas
    try:
        run = Run(broker_bus, branch)
        for desk in DESKS:
            reply = await run.send(CommandType.OPEN_COUNTER, OpenCounter(counter=desk))
            assert reply is not None and reply.ok, reply
        killed_at = await load_with_kill(run, config, active)
        await check_log(run, config, broker_bus, started_at, killed_at)
        assert standby.poll() is None, "the standby replica died"
    finally:
        for proc in replicas:
            stop_group(proc)


async def load_with_kill(
    run: Run, config: BranchConfig, active_proc: subprocess.Popen[bytes]
) -> float:
    issued = 0
    halfway = asyncio.Event()
    kill_time: list[float] = []
    load_done = asyncio.Event()
    commands = CommandClient(run.bus, timeout_s=1.5, attempts=2)
    slots = open_slots(config, dt.datetime.now(dt.UTC))
    citizens = [
        Citizen(commands, config, run.bookings, slots, seed=n, pause_s=(0.01, 0.05))
        for n in range(CITIZENS)
    ]

    async def kiosk(index: int) -> None:
        nonlocal issued
        services = list(SERVICES)
        for i in range(50):
            await run.send(CommandType.ISSUE_TICKET, IssueTicket(service=services[(index + i) % 3]))
            issued += 1
            if issued == 80:
                halfway.set()

    async def desk(name: str) -> None:
        for _ in range(50):
            await run.send(CommandType.CALL_NEXT, CallNext(counter=name))

    async def killer() -> None:
        await halfway.wait()
        kill_time.append(time.monotonic())
        os.kill(active_proc.pid, signal.SIGKILL)

    async def load() -> None:
        await asyncio.gather(*(kiosk(i) for i in range(4)), *(desk(d) for d in DESKS), killer())
        load_done.set()  # the citizens book until the kiosks and desks are done

    async with asyncio.timeout(240):
        await asyncio.gather(load(), *(c.run(load_done, BOOKINGS_EACH) for c in citizens))
    return kill_time[0]


async def check_log(
    run: Run, config: BranchConfig, bus: Bus, since: dt.datetime, killed_at: float
) -> None:
    # Read the whole day back, up to a marker of our own.
    _live, applied = await read_back(bus, config, since, reader="failover-test", within=30.0)

    # Each ticket issued once, numbers unique; never at two desks at once.
    replay = BranchState.fresh(config, local_day(config, dt.datetime.now(dt.UTC)))
    desk_of: dict[str, str] = {}
    for event in applied:
        assert apply(replay, event) is Verdict.APPLY
        if isinstance(event.data, TicketCalled):
            assert event.data.ticket_id not in desk_of.values() or (
                desk_of.get(event.data.counter) == event.data.ticket_id
            ), f"{event.data.number} called at two desks"
        for desk, ticket_id in list(desk_of.items()):
            if replay.tickets[ticket_id].status not in (TicketStatus.CALLED, TicketStatus.SERVING):
                del desk_of[desk]
        if isinstance(event.data, TicketCalled):
            desk_of[event.data.counter] = event.data.ticket_id
        holders = Counter(c.ticket for c in replay.counters.values() if c.ticket is not None)
        assert all(n == 1 for n in holders.values()), holders
    every_ticket = [e.data for e in applied if isinstance(e.data, TicketIssued)]
    numbers = [d.number for d in every_ticket]
    assert len(numbers) == len(set(numbers)), "a number was issued twice"
    assert len({d.ticket_id for d in every_ticket}) == len(every_ticket)
    issued = [d for d in every_ticket if d.appointment_id is None]

    # Every command that got a success reply is in the log exactly once.
    decisions: dict[str, set[tuple[str, dt.datetime]]] = {}
    for event in applied:
        if event.command_id is not None:
            decisions.setdefault(event.command_id, set()).add((event.writer, event.at))
    succeeded = [o for o in run.outcomes if o.reply is not None and o.reply.ok]
    for outcome in succeeded:
        assert len(decisions.get(outcome.command.id, set())) == 1, outcome.command
    issued_ok = [o for o in succeeded if o.command.type is CommandType.ISSUE_TICKET]
    assert len(issued_ok) == 200
    assert len(issued) == 200
    replied_ids = {o.reply.result["ticket_id"] for o in issued_ok if o.reply and o.reply.result}
    assert replied_ids == {d.ticket_id for d in issued}
    assert all(o.reply is not None for o in run.outcomes), "a command went unanswered"
    writers = {e.writer for e in applied}
    assert len(writers) == 2, f"both replicas must have written, one before the kill: {writers}"
    calls = [e for e in applied if e.type is EventType.TICKET_CALLED]
    assert len(calls) >= 150, "the desks hardly called"

    # Bookings, check-ins and cancellations, on both sides of the kill.
    bookings = run.bookings
    print(bookings.summary())
    check_bookings(config, applied, bookings)
    assert len(bookings.booked) >= CITIZENS * BOOKINGS_EACH, "the citizens hardly booked"
    assert len(bookings.checked_in) >= 10 and bookings.cancelled, "hardly checked in or cancelled"
    assert bookings.full, "no citizen lost the race for a seat"
    assert min(bookings.sent) < killed_at < max(bookings.sent), "no booking across the kill"

    # The first command sent after the kill was answered within 3 s.
    after = sorted((o for o in run.outcomes if o.sent >= killed_at), key=lambda o: o.sent)
    assert after, "no command was sent after the kill"
    assert after[0].answered - after[0].sent <= 3.0, after[0].answered - after[0].sent
