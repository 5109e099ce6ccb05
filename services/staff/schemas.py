"""The staff API's answers, as models for its API description.

The handlers build dicts: the engine's results with a few fields of this
service (desk_api.py, appointments_api.py), the overview (overview.py) and
the statistics (stats.py). These models say what they hold; the shapes
shared with ticketing come from shared/contract/results.py and
shared/projection/documents.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, RootModel

from shared.contract.results import (
    CounterClosedResult,
    CounterOpenedResult,
    IssuedTicket,
    ServicePauseResult,
    TicketAtDeskResult,
    TicketCalledResult,
    TicketFinishedResult,
    TicketRecalledResult,
    TicketTransferredResult,
)
from shared.projection.documents import (
    AppointmentsToday,
    BookingFields,
    BookingRow,
    BookingUrls,
    Document,
    Names,
    QueueEntry,
)
from shared.projection.state import TicketStatus

# --- desks: the engine's result and the desk's name ------------------------------


class DeskNamed(Document):
    counter_name: str = Field(description="The desk's configured name")


class DeskOpened(CounterOpenedResult, DeskNamed):
    pass


class DeskClosed(CounterClosedResult, DeskNamed):
    pass


class ServicePaused(ServicePauseResult):
    paused_until: str | None = Field(
        description="`until` as the branch's clock shows it (HH:MM); null: until resumed"
    )


class DeskCalled(TicketCalledResult, DeskNamed):
    pass


class DeskRecalled(TicketRecalledResult, DeskNamed):
    pass


class DeskServingOrNoShow(TicketAtDeskResult, DeskNamed):
    pass


class DeskFinished(TicketFinishedResult, DeskNamed):
    pass


class DeskTransferred(TicketTransferredResult, DeskNamed):
    pass


class StaffTicket(IssuedTicket):
    """A ticket issued on a citizen's behalf."""

    channel: Literal["staff"]
    status_url: str = Field(description="The ticket's status in the citizen API (absolute)")
    ticket_url: str = Field(description="The ticket's phone page (absolute)")


# --- bookings -------------------------------------------------------------------------


class DayBookings(Document):
    branch: str
    date: dt.date
    now: dt.datetime
    bookings: list[BookingRow]


class StaffBookingMade(BookingFields, BookingUrls):
    channel: Literal["staff"]


# --- the overview -------------------------------------------------------------------


class OverviewService(Document):
    service: str
    name: Names
    area: str
    prefix: str
    slot_min: int | None = Field(description="Bookable: the slot length; else null")
    target_wait_s: int
    waiting: int
    longest_wait_s: int
    longest_since: dt.datetime | None
    over_target: bool
    estimated_wait_s: int | None
    open_desks: int
    desks: list[str]
    served: int
    no_show: int
    cancelled: int
    paused: bool = Field(description="A manager paused it: no new tickets; the queue goes on")
    paused_until: str | None = Field(
        description="The branch's clock time the pause ends (HH:MM); null: until resumed"
    )
    paused_by: str | None = Field(description="The manager's staff id")


class Hint(Document):
    """Where a new ticket's estimated wait passes the target: what would help (README, "Hints")."""

    area: str
    area_name: str
    service: str
    service_name: Names
    estimated_wait_s: int
    target_wait_s: int
    kind: Literal["open_desk", "add_service", "borrow_desk", "at_limit"]
    counter: str | None = Field(description="The desk to open or re-open; null for at_limit")
    counter_name: str | None
    services: list[str] = Field(description="The services to open `counter` for")
    text: Names


class OpenDesk(Document):
    counter: str
    name: str
    staff: str | None
    services: list[str]


class OverviewArea(Document):
    area: str
    name: str
    waiting: int
    longest_wait_s: int
    served: int
    no_show: int
    open_desks: list[OpenDesk]
    services: list[OverviewService]
    hint: Hint | None


class HeldTicket(Document):
    number: str
    service: str
    status: TicketStatus
    priority: int
    recalls: int
    issued_at: dt.datetime | None
    called_at: dt.datetime | None
    serving_at: dt.datetime | None
    waited_s: int = Field(description="How long the citizen waited before this call")


class DeskNow(Document):
    counter: str
    name: str
    area: str | None
    skills: list[str]
    open: bool
    staff: str | None
    services: list[str]
    opened_at: dt.datetime | None
    ticket: HeldTicket | None


class Overview(Document):
    """The live overview (also the staff WebSocket's `overview`)."""

    branch: str
    name: str
    day: dt.date
    seq: int
    at: dt.datetime
    max_recalls: int
    day_closed: bool
    areas: list[OverviewArea]
    counters: list[DeskNow]
    hints: list[Hint]
    queue: list[QueueEntry] = Field(description="The waiting tickets in call order")
    appointments: AppointmentsToday | None


# --- statistics --------------------------------------------------------------------


class HourFigures(Document):
    hour: int = Field(ge=0, le=23)
    arrivals: int
    average_wait_s: int | None


class Figures(Document):
    """One service's figures of the day (or all services', `service` `all`)."""

    service: str
    name: Names
    area: str | None
    target_wait_s: int | None
    issued: int
    called: int
    served: int
    no_show: int
    cancelled: int
    transferred_in: int
    transferred_out: int
    wait_p50_s: int | None
    wait_p90_s: int | None
    wait_max_s: int | None
    service_p50_s: int | None
    service_p90_s: int | None
    within_target: float | None = Field(description="Share of the called served within target")
    appointments_booked: int
    appointments_checked_in: int
    appointments_missed: int
    appointments_cancelled: int
    punctuality_p50_s: int | None
    punctuality_p90_s: int | None
    hours: list[HourFigures]


class DayStats(Document):
    branch: str
    date: dt.date
    complete: bool = Field(description="False for today: the figures are up to now")
    services: list[Figures]
    total: Figures


class RangeStats(Document):
    """Several days' statistics: each day as one day's, and the range's figures."""

    branch: str
    first: dt.date = Field(alias="from", description="The first day (inclusive)")
    last: dt.date = Field(alias="to", description="The last day (inclusive)")
    complete: bool = Field(description="False when the range ends today")
    days: list[DayStats] = Field(description="One entry per day, from `from` to `to`")
    services: list[Figures] = Field(
        description="Over the whole range: counts summed, percentiles of all its waits"
    )
    total: Figures


class Stats(RootModel[DayStats | RangeStats]):
    """`date` (or nothing): one day; `from` (and `to`): a range."""


# --- demand and staffing -------------------------------------------------------------


class HourDemand(Document):
    """One weekday-hour of one service, averaged over the weeks."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    hour: int = Field(ge=0, le=23)
    arrivals_per_h: float = Field(description="Tickets issued per hour (check-ins included)")
    service_min: float | None = Field(description="Mean service time; null: nobody came")
    desks_needed: int = Field(description="Erlang C: desks serving 80 % within the target")
    desks_open: float = Field(description="Desks open that took the service, on average")
    traffic: float = Field(description="Erlangs: arrivals x service time, desks kept busy")


class ServiceDemand(Document):
    service: str
    name: Names
    target_wait_s: int
    hours: list[HourDemand] = Field(description="Weekday-hours with arrivals or open desks")


class DemandFigures(Document):
    branch: str
    weeks: int
    first: dt.date = Field(alias="from", description="First day counted")
    last: dt.date = Field(alias="to", description="Last day counted (yesterday)")
    days: int = Field(description="Days of the window the log holds (a day without events: none)")
    services: list[ServiceDemand]
