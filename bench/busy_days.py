"""A busy branch's log, day by day, written by the real engine on an injected clock.

    log = busy_log(config, last_day=today, days=31, seed=7)

Each day from 08:00 to 18:00 eleven desks open, walk-ins arrive every two
minutes and are called, served and finished; citizens book `pas` and
`koerekort` slots up to two weeks ahead, cancel some, and check in by code
15 minutes before their slot (about one in seven never comes). Every event
comes from `decide_and_apply` with the real projection, so the log is what
routing would have written: one writer, seqs from 1 each day, bookings
written on the day they were made for the day they are for. About 1,500
events a day.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from services.routing.engine import RandomIds, decide_and_apply
from shared.config import BranchConfig
from shared.contract import (
    BookAppointment,
    CallNext,
    CancelAppointment,
    CheckIn,
    CloseCounter,
    Command,
    CommandData,
    Event,
    Finish,
    IssueTicket,
    OpenCounter,
    StartServing,
)
from shared.contract.commands import COMMAND_DATA
from shared.projection import BranchState, TicketStatus, day_start, slots_on, start_day

OPENS, CLOSES = "08:00", "18:00"
TICK = dt.timedelta(minutes=2)
DESK_ACTIONS_PER_TICK = 3
BOOK_EVERY_TICKS = 5
EXTRA_WALK_IN_EVERY_TICKS = 8  # a second arrival now and then: about 1,500 events a day
CANCEL_EVERY_TICKS = 30
BOOK_DAYS_AHEAD = 14
NO_SHOW_SHARE = 0.15
WALK_INS = ("bibliotek", "pas", "mitid", "skat", "sundhed", "koerekort")
BOOKED = ("pas", "koerekort")
KVIK = [f"kvik-{n}" for n in (1, 2, 3)]
SERVICE = [f"service-{n}" for n in range(1, 9)]
_KIND = {model: kind for kind, model in COMMAND_DATA.items()}


def busy_branch_toml(branch: str, zone: str) -> str:
    """Magion's services and areas, eleven desks, staffed and bookable 08-18 every day."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    hours = "\n".join(f'{d} = ["{OPENS}-{CLOSES}"]' for d in days)
    services = [
        ("bibliotek", "Bibliotek", "Library", "kvik", "B", 10, 4, ""),
        ("pas", "Pas", "Passport", "service", "P", 20, 12, "slot_min = 15\nseats = 2"),
        (
            "koerekort",
            "Kørekort",
            "Driving licence",
            "service",
            "K",
            20,
            12,
            "slot_min = 20\nseats = 1",
        ),
        ("mitid", "MitID", "MitID", "service", "M", 15, 8, ""),
        ("skat", "Skat", "Tax", "service", "S", 20, 10, ""),
        ("sundhed", "Sundhedskort", "Health card", "kvik", "H", 10, 4, ""),
    ]
    parts = [
        f'[branch]\nid = "{branch}"\nname = "Busy hall"\ntimezone = "{zone}"',
        f"[hours.staffed]\n{hours}",
        '[appointments]\nhorizon_days = 30\nearly_min = 15\nlate_min = 10\nprefix = "T"',
        '[[areas]]\nid = "kvik"\nname = "KVIK"\n[[areas]]\nid = "service"\nname = "SERVICE"',
    ]
    kvik_skills = '["bibliotek", "sundhed"]'
    service_skills = '["pas", "koerekort", "mitid", "skat"]'
    for n, desk in enumerate(KVIK, 1):
        parts.append(
            f'[[counters]]\nid = "{desk}"\narea = "kvik"\nname = "KVIK {n}"\nskills = {kvik_skills}'
        )
    for n, desk in enumerate(SERVICE, 1):
        parts.append(
            f'[[counters]]\nid = "{desk}"\narea = "service"\nname = "Skranke {n}"\n'
            f"skills = {service_skills}"
        )
    for sid, da, en, area, prefix, target, minutes, booking in services:
        parts.append(
            f'[[services]]\nid = "{sid}"\nname = {{ da = "{da}", en = "{en}" }}\n'
            f'area = "{area}"\nprefix = "{prefix}"\ntarget_wait_min = {target}\n'
            f"service_time_min = {minutes}\n{booking}"
        )
    return "\n".join(parts) + "\n"


@dataclass
class _Day:
    config: BranchConfig
    state: BranchState
    rng: random.Random
    now: dt.datetime
    ids: RandomIds = field(default_factory=RandomIds)
    events: list[Event] = field(default_factory=list)

    def run(self, data: CommandData) -> dict[str, object] | None:
        """Decide and apply one command at `now`; its result, or None if refused."""
        command = Command(
            id=str(uuid.uuid4()),
            type=_KIND[type(data)],
            branch=self.config.id,
            at=self.now,
            actor="bench",
            data=data,
        )
        reply, events = decide_and_apply(
            self.state, command, config=self.config, now=self.now, ids=self.ids, writer="bench"
        )
        self.events.extend(events)
        return reply.result if reply.ok else None


def busy_log(config: BranchConfig, last_day: dt.date, days: int, seed: int = 7) -> list[Event]:
    """`days` busy days ending with `last_day` (local days of the branch), in log order."""
    rng = random.Random(seed)
    log: list[Event] = []
    state = BranchState.fresh(config, dt.date.min)
    no_shows: set[str] = set()
    slots: dict[tuple[str, dt.date], list[dt.datetime]] = {}
    assert config.appointments is not None
    horizon = config.appointments.horizon_days
    for back in range(days - 1, -1, -1):
        day = last_day - dt.timedelta(days=back)
        state = BranchState.fresh(config, day, start_day(state, horizon, day))
        today = _Day(config, state, rng, _at(config, day, OPENS))
        _one_day(today, no_shows, slots)
        log.extend(today.events)
    return log


def _at(config: BranchConfig, day: dt.date, hhmm: str) -> dt.datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return day_start(config, day) + dt.timedelta(hours=hours, minutes=minutes, seconds=1)


def _one_day(
    today: _Day, no_shows: set[str], slots: dict[tuple[str, dt.date], list[dt.datetime]]
) -> None:
    config, state, rng = today.config, today.state, today.rng
    desks = [*KVIK, *SERVICE]
    for desk in desks:
        today.run(OpenCounter(counter=desk))
    closes = _at(config, state.day, CLOSES) - TICK
    calendar = state.calendar
    assert calendar is not None
    tick = 0
    while today.now < closes:
        today.now += TICK
        tick += 1
        today.run(IssueTicket(service=rng.choice(WALK_INS)))
        if tick % EXTRA_WALK_IN_EVERY_TICKS == 0:
            today.run(IssueTicket(service=rng.choice(WALK_INS)))
        soon = today.now.timestamp() + 15 * 60
        for booking in calendar.on_day(state.day):
            if (
                booking.ticket_id is None
                and booking.cancelled_at is None
                and booking.id not in no_shows
                and booking.start_ts <= soon
                and booking.start_ts > today.now.timestamp() - 5 * 60
            ):
                today.run(CheckIn(code=booking.code))
        if tick % BOOK_EVERY_TICKS == 0:
            _book(today, no_shows, slots)
        if tick % CANCEL_EVERY_TICKS == 0:
            _cancel_one(today)
        for n in range(DESK_ACTIONS_PER_TICK):
            _desk_acts(today, desks[(tick * DESK_ACTIONS_PER_TICK + n) % len(desks)])
    for desk in desks:
        ticket = state.ticket_at(desk)
        if ticket is not None:
            if ticket.status is TicketStatus.CALLED:
                today.run(StartServing(counter=desk))
            today.run(Finish(counter=desk))
        today.run(CloseCounter(counter=desk))


def _desk_acts(today: _Day, desk: str) -> None:
    """Called -> start; serving -> finish and call the next; free -> call the next."""
    ticket = today.state.ticket_at(desk)
    if ticket is not None and ticket.status is TicketStatus.CALLED:
        today.run(StartServing(counter=desk))
        return
    if ticket is not None:
        today.run(Finish(counter=desk))
    today.run(CallNext(counter=desk))


def _book(
    today: _Day, no_shows: set[str], slots: dict[tuple[str, dt.date], list[dt.datetime]]
) -> None:
    config, rng = today.config, today.rng
    for _ in range(5):  # a full slot: the citizen picks another
        service_id = rng.choice(BOOKED)
        day = today.state.day + dt.timedelta(days=rng.randint(1, BOOK_DAYS_AHEAD))
        starts = slots.get((service_id, day))
        if starts is None:
            service = config.service(service_id)
            assert service is not None
            starts = slots[(service_id, day)] = [s for s, _ in slots_on(config, service, day)]
        booked = today.run(BookAppointment(service=service_id, start=rng.choice(starts)))
        if booked is not None:
            if rng.random() < NO_SHOW_SHARE:
                no_shows.add(str(booked["appointment_id"]))
            return


def _cancel_one(today: _Day) -> None:
    calendar = today.state.calendar
    assert calendar is not None
    later = [
        b
        for d, rows in calendar.by_day.items()
        if d > today.state.day
        for b in rows.values()
        if b.cancelled_at is None
    ]
    if later:
        today.run(CancelAppointment(appointment_id=today.rng.choice(later).id))
