"""Citizens booking, checking in and cancelling while routing replicas die, and what must hold.

The fault tests (tests/routing/test_failover.py, tests/chaos) run these
clients beside their kiosks and desks. Each sends its commands with the
`CommandClient` over the bus, retrying the same command id while the engine
does not answer (a failover, a broker restart), as ticketing retries one
Idempotency-Key. A booking is then either cancelled or checked in by its
code, and some check-ins are repeated with a fresh command id, as a citizen
scanning twice would: that must return the same ticket and write nothing.

`check_bookings` replays the log through the shared projection and checks
what the clients were told against the calendar it builds.

The branch (`booking_branch`) takes `pas` bookings all day, with check-in
open for hours before a slot; the clients book only slots from
`LEAD_MIN` minutes ahead up to where check-in is open already. So every
check-in is early (its ticket waits behind the walk-ins until its slot comes,
and none comes during a test), and nothing depends on the hour the test runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.config import BranchConfig
from shared.contract import (
    AppointmentBooked,
    AppointmentCancelled,
    BookAppointment,
    CancelAppointment,
    CheckIn,
    CommandData,
    Event,
    TicketCalled,
    TicketIssued,
)
from shared.http.problem import ProblemError
from shared.projection import BranchState, Verdict, apply, local_day, show_code, slots_on
from shared.runtime.commands import Answer, CommandClient
from tests.support.branch import Branch, Service

BOOKED_SERVICE = "pas"
SEATS = 2
SLOT_MIN = 5
# Check-in opens this long before a slot: every slot booked here is open for
# check-in at once (a mid-morning zone leaves 13 hours of the day).
EARLY_MIN = 600
LATE_MIN = 60
LEAD_MIN = 15  # no slot closer than this: none starts while a test runs
# Clients pick among the first few slots they do not know to be full, so they
# race for the same seats.
CROWD = 4
RETRY_FOR_S = 40.0
RETRY_PAUSE_S = 0.3
CANCEL_SHARE = 0.25
SCAN_TWICE_SHARE = 0.3


def booking_branch(hall: Branch) -> Branch:
    """`hall` with `[appointments]` and its `pas` bookable: `SEATS` seats per `SLOT_MIN` slot."""
    services = tuple(
        Service.of(
            s.id,
            minutes=s.service_time_min,
            target=s.target_wait_min,
            prefix=s.prefix,
            area=s.area,
            slot_min=SLOT_MIN,
            seats=SEATS,
        )
        if s.id == BOOKED_SERVICE
        else s
        for s in hall.services
    )
    settings = {"early_min": EARLY_MIN, "late_min": LATE_MIN, "prefix": "T"}
    return hall.but(services=services, appointments=settings)


def open_slots(config: BranchConfig, now: dt.datetime) -> list[dt.datetime]:
    """Today's `pas` slots that start at least `LEAD_MIN` ahead and are open for check-in now."""
    service = config.service(BOOKED_SERVICE)
    assert service is not None and service.seats == SEATS, "use booking_branch()"
    earliest = now + dt.timedelta(minutes=LEAD_MIN)
    latest = now + dt.timedelta(minutes=EARLY_MIN - 1)
    starts = [start for start, _ in slots_on(config, service, local_day(config, now))]
    slots = [s for s in starts if earliest.timestamp() <= s.timestamp() <= latest.timestamp()]
    assert len(slots) > 10, f"too few slots left today: {slots}"
    return slots


@dataclass
class Bookings:
    """What the booking clients were told, and anything unexpected."""

    booked: dict[str, str] = field(default_factory=dict)  # appointment_id -> code (XXXX-XXXX)
    slot: dict[str, str] = field(default_factory=dict)  # appointment_id -> start (ISO)
    cancelled: set[str] = field(default_factory=set)
    checked_in: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (ticket_id, number)
    full: int = 0  # slot_full refusals: the seat race lost, as it should be
    scanned_twice: int = 0
    replayed: int = 0  # answers to a retried command id, rebuilt from the log
    retries: int = 0
    sent: list[float] = field(default_factory=list)  # monotonic send times
    # Ids of the commands answered with success that write (not a second check-in).
    wrote: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.booked)} booked ({self.full} slot_full), {len(self.cancelled)} cancelled, "
            f"{len(self.checked_in)} checked in ({self.scanned_twice} twice), "
            f"{self.retries} retries, {self.replayed} replayed answers"
        )


class Citizen:
    """One booking client: book a slot, then cancel it or check in; again until `stop`."""

    def __init__(
        self,
        client: CommandClient,
        config: BranchConfig,
        tally: Bookings,
        slots: list[dt.datetime],
        *,
        seed: int,
        pause_s: tuple[float, float] = (0.05, 0.2),
    ) -> None:
        self.client, self.branch, self.tally = client, config.id, tally
        self.free = list(slots)
        self.rng = random.Random(seed)
        self.pause_s = pause_s
        self.made = 0  # bookings this citizen was told it has

    async def run(self, stop: asyncio.Event, at_least: int = 0) -> None:
        """Book until `stop` is set and this citizen has made `at_least` bookings."""
        while (not stop.is_set() or self.made < at_least) and self.free:
            await self.one_booking()
            await asyncio.sleep(self.rng.uniform(*self.pause_s))

    async def one_booking(self) -> None:
        start = self.rng.choice(self.free[:CROWD])
        booked = await self.send(BookAppointment(service=BOOKED_SERVICE, start=start), writes=True)
        if booked is None:
            return
        if isinstance(booked, ProblemError):
            if booked.code == "slot_full":
                self.tally.full += 1
                self.free.remove(start)
            else:
                self.tally.unexpected.append(f"book {start.isoformat()}: {booked}")
            return
        appointment_id, code = booked.result["appointment_id"], booked.result["code"]
        self.made += 1
        self.tally.booked[appointment_id] = code
        self.tally.slot[appointment_id] = booked.result["start"]
        if self.rng.random() < CANCEL_SHARE:
            cancelled = await self.send(
                CancelAppointment(appointment_id=appointment_id), writes=True
            )
            if isinstance(cancelled, Answer):
                self.tally.cancelled.add(appointment_id)
            elif cancelled is not None:
                self.tally.unexpected.append(f"cancel {appointment_id}: {cancelled}")
            return
        ticket = await self.check_in(code, first=True)
        if ticket is None:
            return
        self.tally.checked_in[appointment_id] = ticket
        if self.rng.random() < SCAN_TWICE_SHARE:
            # Lower case and no dash: the code as a hurried citizen types it.
            again = await self.check_in(code.replace("-", "").lower(), first=False)
            self.tally.scanned_twice += 1
            if again is not None and again != ticket:
                self.tally.unexpected.append(f"second check-in {code}: {again}, first {ticket}")

    async def check_in(self, code: str, *, first: bool) -> tuple[str, str] | None:
        answer = await self.send(CheckIn(code=code), writes=first)
        if isinstance(answer, ProblemError):
            self.tally.unexpected.append(f"check in {code}: {answer}")
            return None
        if answer is None:
            return None
        return answer.result["ticket_id"], answer.result["number"]

    async def send(self, data: CommandData, *, writes: bool) -> Answer | ProblemError | None:
        """The answer or the refusal; the same command id again while routing is away.

        None: no answer for `RETRY_FOR_S` (recorded in `gave_up`).
        """
        command_id = str(uuid.uuid4())
        deadline = time.monotonic() + RETRY_FOR_S
        self.tally.sent.append(time.monotonic())
        while True:
            try:
                answer = await self.client.send(
                    self.branch, data, actor="citizen-test", command_id=command_id
                )
            except ProblemError as refused:
                if refused.status != 503:
                    return refused
            else:
                self.tally.replayed += answer.replayed
                if writes:
                    self.tally.wrote.append(command_id)
                return answer
            if time.monotonic() > deadline:
                self.tally.gave_up.append(f"{data!r}")
                return None
            self.tally.retries += 1
            await asyncio.sleep(RETRY_PAUSE_S)


def check_bookings(config: BranchConfig, applied: list[Event], tally: Bookings) -> None:
    """The log, replayed through the projection, holds exactly what the citizens were told."""
    assert not tally.unexpected, tally.unexpected[:10]
    assert not tally.gave_up, tally.gave_up[:10]
    assert applied, "the log is empty"
    replay = BranchState.fresh(config, applied[0].day)
    decisions: dict[str, set[tuple[str, dt.datetime]]] = {}
    booked: Counter[str] = Counter()
    cancelled: Counter[str] = Counter()
    checked_in: Counter[str] = Counter()
    called: Counter[str] = Counter()
    number_of: dict[str, str] = {}  # check-in ticket -> its number
    slot_of: dict[str, tuple[str, str]] = {}
    seats: Counter[tuple[str, str]] = Counter()
    for event in applied:
        assert apply(replay, event) is Verdict.APPLY, event
        if event.command_id is not None:
            decisions.setdefault(event.command_id, set()).add((event.writer, event.at))
        data = event.data
        if isinstance(data, AppointmentBooked):
            booked[data.appointment_id] += 1
            slot = slot_of[data.appointment_id] = (data.service, data.start.isoformat())
            seats[slot] += 1
            # Never more than `seats` bookings hold a slot, at any point of the log.
            assert seats[slot] <= SEATS, f"slot overbooked by {event}"
        elif isinstance(data, AppointmentCancelled):
            cancelled[data.appointment_id] += 1
            seats[slot_of[data.appointment_id]] -= 1
        elif isinstance(data, TicketIssued) and data.appointment_id is not None:
            checked_in[data.appointment_id] += 1
            number_of[data.ticket_id] = data.number
        elif isinstance(data, TicketCalled):
            called[data.ticket_id] += 1
    calendar = replay.calendar
    assert calendar is not None
    # Every command answered with success was decided exactly once (one writer, one moment).
    doubled = {c: decisions.get(c) for c in tally.wrote if len(decisions.get(c, ())) != 1}
    assert not doubled, f"commands told done but not in the log exactly once: {doubled}"

    # Every booking the log holds once; every one a citizen was told, with the told code.
    assert all(n == 1 for n in booked.values()), [a for a, n in booked.items() if n > 1]
    told_wrong: dict[str, Any] = {}
    for appointment_id, code in tally.booked.items():
        booking = calendar.bookings.get(appointment_id)
        if booked[appointment_id] != 1 or booking is None or show_code(booking.code) != code:
            told_wrong[appointment_id] = (code, booking, booked[appointment_id])
        elif booking.start.isoformat() != tally.slot[appointment_id]:
            told_wrong[appointment_id] = (tally.slot[appointment_id], booking.start)
    assert not told_wrong, f"bookings told but not in the log as told: {told_wrong}"
    # The calendar's own count agrees, and no slot holds more than its seats.
    holding = Counter(b.slot for b in calendar.bookings.values() if b.holds_seat)
    assert all(n <= SEATS for n in holding.values()), holding
    assert holding == Counter(calendar.taken), (holding, calendar.taken)

    # Cancelled once each; every cancellation told is in the calendar.
    assert all(n == 1 for n in cancelled.values()), cancelled
    missing = [a for a in tally.cancelled if calendar.bookings[a].cancelled_at is None]
    assert not missing, f"cancellations told but not in the log: {missing}"

    # Checked in at most once, with the ticket the citizen was told; called at most once.
    assert all(n == 1 for n in checked_in.values()), [a for a, n in checked_in.items() if n > 1]
    wrong = {
        a: (told, calendar.bookings[a].ticket_id, number_of.get(told[0]))
        for a, told in tally.checked_in.items()
        if calendar.bookings[a].ticket_id != told[0] or number_of.get(told[0]) != told[1]
    }
    assert not wrong, f"check-ins told but not in the log as told: {wrong}"
    assert not (set(checked_in) & set(cancelled)), "a booking both cancelled and checked in"
    twice = [number for ticket, number in number_of.items() if called[ticket] > 1]
    assert not twice, f"check-in tickets called more than once: {twice}"
