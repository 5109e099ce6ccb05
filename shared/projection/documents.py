"""The shapes of what the presenters return, as models for the API description.

`citizen_ticket` (present.py), `slot_listing`, `booking_fields`,
`booking_view`, `booking_row` and `appointments_today` (bookings.py) build
plain dicts; these models say what those dicts hold, field for field, so the
OpenAPI documents of ticketing and staff (shared/http/openapi.py) describe
them from one place. The API tests check every answer against them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.projection.calendar import BookingStatus
from shared.projection.state import TicketStatus

BookingChannel = Literal["web", "staff"]
TicketChannel = Literal["kiosk", "web", "staff", "appointment"]


class Document(BaseModel):
    """A response body: every field it has is listed (no others)."""

    model_config = ConfigDict(extra="forbid")


class Names(Document):
    da: str
    en: str


class CitizenTicket(Document):
    """`GET .../tickets/{ticket_id}`: where the ticket stands."""

    ticket_id: str
    number: str
    service: str
    service_name: Names | None
    area: str
    area_name: str
    status: TicketStatus
    position: int | None = Field(description="Place in the queue while waiting, else null")
    estimated_wait_s: int | None = Field(description="While waiting, else null")
    issued_at: dt.datetime
    counter: str | None = Field(description="The desk while called or served, else null")
    counter_name: str | None
    seq: int = Field(description="The log position the answer reflects")


class Slot(Document):
    start: dt.datetime
    end: dt.datetime
    free: int = Field(ge=0, description="Seats still free (0: full)")


class SlotDay(Document):
    date: dt.date
    slots: list[Slot]


class SlotListing(Document):
    """The free seats per slot of a bookable service, day by day."""

    service: str
    slot_min: int | None
    days: list[SlotDay]


class BookingFields(Document):
    """What a booking is: the same in its reply and in every later view."""

    appointment_id: str
    code: str = Field(description="Shown as XXXX-XXXX", examples=["7KX2-M9QH"])
    service: str
    start: dt.datetime
    end: dt.datetime
    checkin_from: dt.datetime
    checkin_until: dt.datetime


class BookingView(BookingFields):
    status: BookingStatus
    ticket_id: str | None = Field(None, description="Once checked in")
    number: str | None = Field(None, description="Once checked in (null: that day is over)")


class BookingRow(BookingView):
    """A booking in the staff's day list."""

    channel: BookingChannel
    due: bool = Field(description="Check-in is open and the booking neither used nor cancelled")
    cancel_reason: Literal["citizen", "staff"] | None


class DueBooking(Document):
    """A booking due now, as every desk sees it: codes and numbers, no ids."""

    code: str
    service: str
    start: dt.datetime
    end: dt.datetime
    checkin_from: dt.datetime
    checkin_until: dt.datetime
    status: BookingStatus
    number: str | None = None
    channel: BookingChannel
    due: bool
    cancel_reason: Literal["citizen", "staff"] | None


class BookingCounts(Document):
    booked: int
    checked_in: int
    missed: int
    cancelled: int


class AppointmentsToday(Document):
    day: dt.date
    counts: BookingCounts
    due: list[DueBooking]


class QueueEntry(Document):
    """A waiting ticket in the desks' waiting list (no id: the number is enough)."""

    number: str
    service: str
    priority: Literal[0, 1]
    channel: TicketChannel
    queued_at: dt.datetime
    appointment_at: dt.datetime | None
    due: bool


class BookingCancelled(BookingFields):
    """The engine's answer to `cancel_appointment`."""

    status: Literal["cancelled"]
    reason: Literal["citizen", "staff"]


class BookingUrls(Document):
    """Where the citizen's pages for a booking are (absolute, at ticketing)."""

    manage_url: str = Field(description="The booking's page /a/{branch}/{appointment_id}")
    ics_url: str = Field(description="The booking as a calendar file")
