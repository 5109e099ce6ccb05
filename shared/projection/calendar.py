"""The appointment calendar: every booking of the last `horizon_days` days and today.

Folded from `appointment.booked`, `appointment.cancelled` and the check-in's
`ticket.issued` (channel `appointment`). Unlike the rest of `BranchState` it
outlives the day: a booking made on Monday for Thursday is written with
Monday's `day` and `seq`. So a reader of a branch with `[appointments]`
starts the log at the start of (today − horizon_days), folds the earlier
days' appointment events into the calendar only (`apply_earlier` in
`shared.projection.apply`), and applies today's as usual; at midnight the
new day's state takes the same calendar. Every fold is O(1).

Each earlier day keeps a fence of its own (`DayFence`): the same admission
rule as today's state (`admit`: exactly the next seq, a losing decision
rejected whole), so reading an earlier day twice, or a rival's stale events
of it, never books a slot twice. An earlier event `folds` says nothing of
passes the fence by its envelope alone (`skim_earlier`), undecoded.
"""

from __future__ import annotations

import copy as _copy
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.contract.events import (
    AppointmentBooked,
    AppointmentCancelled,
    Event,
    EventType,
    TicketIssued,
)


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    MISSED = "missed"  # never checked in, and check-in has closed


# (service, POSIX start of the slot): how the calendar counts a slot's bookings.
SlotKey = tuple[str, float]


@dataclass(slots=True)
class Booking:
    id: str
    code: str
    service: str
    start: dt.datetime
    end: dt.datetime
    channel: str
    booked_at: dt.datetime
    # The slot's local day (branch zone): the staff's day list and the statistics.
    day: dt.date
    start_ts: float = field(init=False)
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    ticket_id: str | None = None  # the check-in's ticket
    checked_in_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        self.start_ts = self.start.timestamp()

    @property
    def slot(self) -> SlotKey:
        return (self.service, self.start_ts)

    @property
    def holds_seat(self) -> bool:
        return self.cancelled_at is None

    def status(self, now: dt.datetime, checkin_closes_ts: float) -> BookingStatus:
        """Booked until check-in closes (`checkin_window`); missed after, unless checked in."""
        if self.cancelled_at is not None:
            return BookingStatus.CANCELLED
        if self.ticket_id is not None:
            return BookingStatus.CHECKED_IN
        if now.timestamp() > checkin_closes_ts:
            return BookingStatus.MISSED
        return BookingStatus.BOOKED


@dataclass(slots=True)
class DayFence:
    """What `admit` needs of an earlier day: its branch, day, last seq and lost decisions."""

    branch: str
    day: dt.date
    seq: int = 0
    applied_ids: set[str] = field(default_factory=set)
    lost_decisions: set[tuple[str, dt.datetime]] = field(default_factory=set)


@dataclass(slots=True)
class Calendar:
    zone: ZoneInfo
    bookings: dict[str, Booking] = field(default_factory=dict)
    # Normalised code -> the id of the latest booking that carries it.
    by_code: dict[str, str] = field(default_factory=dict)
    # Bookings that hold a seat (not cancelled), per slot.
    taken: dict[SlotKey, int] = field(default_factory=dict)
    # The slot's local day -> its bookings (cancelled ones too), in booking order.
    by_day: dict[dt.date, dict[str, Booking]] = field(default_factory=dict)
    # Earlier days read so far (the state keeps today's own fence).
    fences: dict[dt.date, DayFence] = field(default_factory=dict)

    def copy(self) -> Calendar:
        bookings = {bid: _copy.copy(b) for bid, b in self.bookings.items()}
        return Calendar(
            zone=self.zone,
            bookings=bookings,
            by_code=dict(self.by_code),
            taken=dict(self.taken),
            by_day={d: {bid: bookings[bid] for bid in rows} for d, rows in self.by_day.items()},
            fences={
                d: DayFence(f.branch, f.day, f.seq, set(f.applied_ids), set(f.lost_decisions))
                for d, f in self.fences.items()
            },
        )

    def booking_by_code(self, code: str) -> Booking | None:
        """The booking a typed or scanned code names (case and a dash do not matter)."""
        booking_id = self.by_code.get(normalise_code(code))
        return self.bookings.get(booking_id) if booking_id is not None else None

    def seats_taken(self, service: str, start: dt.datetime) -> int:
        return self.taken.get((service, start.timestamp()), 0)

    def on_day(self, day: dt.date) -> list[Booking]:
        """The bookings whose slot lies on `day` (local), cancelled ones too, by start."""
        return sorted(self.by_day.get(day, {}).values(), key=lambda b: (b.start_ts, b.booked_at))

    def fence_for(self, branch: str, day: dt.date) -> DayFence:
        fence = self.fences.get(day)
        if fence is None:
            fence = self.fences[day] = DayFence(branch=branch, day=day)
        return fence

    def forget_before(self, day: dt.date) -> None:
        """Drop the bookings whose slot, and the fences whose day, lie before `day`.

        At midnight: what fell out of the horizon no reader would read again.
        """
        for old in [d for d in self.by_day if d < day]:
            for booking in self.by_day.pop(old).values():
                self.bookings.pop(booking.id, None)
                if self.by_code.get(booking.code) == booking.id:
                    del self.by_code[booking.code]
                if booking.holds_seat:
                    self.release(booking)
        for old in [d for d in self.fences if d < day]:
            del self.fences[old]

    def release(self, booking: Booking) -> None:
        """One seat of the booking's slot is free again."""
        left = self.taken.get(booking.slot, 0) - 1
        if left > 0:
            self.taken[booking.slot] = left
        else:
            self.taken.pop(booking.slot, None)


def normalise_code(text: str) -> str:
    """ "7kx2-m9qh", "7KX2 M9QH" and "7KX2M9QH" are one code."""
    return "".join(ch for ch in text.upper() if ch not in "- ")


def show_code(code: str) -> str:
    """A code as people read it: `XXXX-XXXX`."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


# --- folding ----------------------------------------------------------------


def fold(calendar: Calendar, event: Event) -> None:
    """Fold one admitted event's appointment facts; any other event changes nothing."""
    data = event.data
    if isinstance(data, AppointmentBooked):
        _booked(calendar, event, data)
    elif isinstance(data, AppointmentCancelled):
        _cancelled(calendar, event, data)
    elif isinstance(data, TicketIssued) and data.appointment_id is not None:
        booking = calendar.bookings.get(data.appointment_id)
        if booking is not None and booking.ticket_id is None:
            booking.ticket_id, booking.checked_in_at = data.ticket_id, event.at


def folds(kind: EventType, names_booking: bool) -> bool:
    """Whether `fold` may take something from an event of `kind` (`names_booking`: its data
    mentions an appointment_id).

    A reader decodes an earlier day's event in full only when it may; the
    rest only pass that day's fence (`skim_earlier`).
    """
    if kind is EventType.APPOINTMENT_BOOKED or kind is EventType.APPOINTMENT_CANCELLED:
        return True
    return kind is EventType.TICKET_ISSUED and names_booking


def _booked(calendar: Calendar, event: Event, data: AppointmentBooked) -> None:
    if data.appointment_id in calendar.bookings:  # the log has it once; be safe anyway
        return
    booking = Booking(
        id=data.appointment_id,
        code=data.code,
        service=data.service,
        start=data.start,
        end=data.end,
        channel=data.channel,
        booked_at=event.at,
        day=data.start.astimezone(calendar.zone).date(),
    )
    calendar.bookings[booking.id] = booking
    calendar.by_code[booking.code] = booking.id
    calendar.taken[booking.slot] = calendar.taken.get(booking.slot, 0) + 1
    rows = calendar.by_day.get(booking.day)
    if rows is None:
        rows = calendar.by_day[booking.day] = {}
    rows[booking.id] = booking


def _cancelled(calendar: Calendar, event: Event, data: AppointmentCancelled) -> None:
    booking = calendar.bookings.get(data.appointment_id)
    if booking is None or booking.cancelled_at is not None:
        return
    booking.cancelled_at, booking.cancel_reason = event.at, data.reason
    calendar.release(booking)
