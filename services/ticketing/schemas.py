"""The citizen API's request-free answers, as models for its API description.

The handlers build dicts (views.py, replies.py, appointments_api.py); these
models say what they hold. Shapes shared with staff (the ticket, the slots,
a booking) come from shared/projection/documents.py and
shared/contract/results.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.config.schema import Weekday
from shared.projection.documents import (
    BookingCancelled,
    BookingFields,
    BookingUrls,
    BookingView,
    Document,
    Names,
)


class Moment(Document):
    """An instant as the kiosk says it ("i dag kl. 10:00", "mandag kl. 10:00")."""

    at: dt.datetime
    time: str = Field(examples=["10:00"])
    weekday: Weekday
    in_days: int = Field(description="0 today, 1 tomorrow, ...")


class SelfService(Document):
    open: bool
    until: str | None = Field(description="The local clock time it closes, e.g. 18:00")


class AreaWaiting(Document):
    id: str
    name: str
    description: Names | None = Field(
        description="The kiosk's line under the name; null: the kiosk lists the services"
    )
    waiting: int


class QuietHour(Document):
    from_: str = Field(alias="from", description="Local time HH:MM")
    to: str = Field(description="Local time HH:MM (24:00: midnight)")
    estimated_wait_s: int = Field(description="The usual wait then (Erlang C on the log's weeks)")


class ServiceNow(Document):
    id: str
    name: Names
    area: str
    area_name: str
    prefix: str
    open: bool
    reason: Literal["closed", "paused", "would_exceed_closing"] | None
    paused: bool = Field(description="A manager paused it: no new tickets (the queue goes on)")
    paused_until: str | None = Field(
        description="The local clock time the pause ends by itself (HH:MM); null: until resumed"
    )
    waiting: int
    open_desks: int
    estimated_wait_s: int | None
    target_wait_s: int = Field(
        description="The service's target wait; a longer one is a long queue"
    )
    quiet_hours: list[QuietHour] = Field(
        description="Later today's staffed hours, usually quietest first (none without history)"
    )


class ServicesView(Document):
    """The branch now: open or not, and every service with its live wait."""

    branch: str
    name: str
    timezone: str
    now: dt.datetime
    open: bool = Field(description="Staffed now (and the day not closed by staff)")
    day_closed: bool
    staffed_until: Moment | None
    opens_at: Moment | None
    self_service: SelfService
    areas: list[AreaWaiting]
    services: list[ServiceNow]
    other_service: str = Field(
        description="The service the kiosk's 'Andet / ved ikke' issues a ticket for"
    )


class CreatedTicket(Document):
    """A ticket just taken (or checked in): what the kiosk prints and the phone shows."""

    ticket_id: str
    number: str
    service: str
    area: str
    position: int | None
    estimated_wait_s: int | None
    issued_at: dt.datetime
    status_url: str = Field(description="The ticket's status in this API (a path)")
    service_name: Names | None
    area_name: str
    phone_url: str = Field(description="The phone page (absolute: what the QR code holds)")
    appointment_id: str | None = Field(None, description="A check-in's booking")
    appointment_at: dt.datetime | None = Field(None, description="A check-in's slot start")


class CitizenBookingMade(BookingFields, BookingUrls):
    pass


class CitizenBooking(BookingView, BookingUrls):
    pass


class CitizenBookingCancelled(BookingCancelled, BookingUrls):
    pass
