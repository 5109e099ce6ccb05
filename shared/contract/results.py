"""The engine's results of the ticket and desk commands, as models for the API description.

Routing answers each command with a plain dict built from the event it
wrote (services/routing/engine/results.py); ticketing and staff pass it on
with a few fields of their own. These models say what each result holds,
so both services' OpenAPI documents describe it from one place.
(A booking's result is `booking_fields`: shared/projection/documents.py.)
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssuedTicket(Result):
    """`issue_ticket` and `check_in`: the ticket, placed as of the answer."""

    ticket_id: str
    number: str = Field(examples=["P012"])
    service: str
    area: str
    priority: Literal[0, 1]
    position: int | None = Field(description="Place in the queue while waiting, else null")
    estimated_wait_s: int | None
    issued_at: dt.datetime
    appointment_id: str | None = Field(None, description="A check-in's booking")
    appointment_at: dt.datetime | None = Field(None, description="A check-in's slot start")


class TicketCalledResult(Result):
    ticket_id: str
    number: str
    service: str
    area: str
    counter: str
    status: Literal["called"]


class TicketRecalledResult(Result):
    ticket_id: str
    number: str
    counter: str
    recalls: int
    status: Literal["called"]


class TicketAtDeskResult(Result):
    """`start_serving` (`serving`) and `no_show`."""

    ticket_id: str
    number: str | None
    counter: str
    status: Literal["serving", "no_show"]


class TicketFinishedResult(Result):
    ticket_id: str
    number: str | None
    counter: str
    service_s: float = Field(description="How long the desk served the ticket")
    status: Literal["finished"]


class TicketTransferredResult(Result):
    ticket_id: str
    number: str | None
    from_service: str
    service: str
    area: str
    position: Literal["front", "back"]
    status: Literal["waiting"]


class TicketCancelledResult(Result):
    ticket_id: str
    number: str | None
    reason: Literal["citizen", "staff", "day_closed"]
    status: Literal["cancelled"]


class CounterOpenedResult(Result):
    counter: str
    staff: str
    services: list[str]
    status: Literal["open"]


class CounterClosedResult(Result):
    counter: str
    status: Literal["closed"]


class ServicePauseResult(Result):
    """`pause_service` and `resume_service`: the service's pause as it now stands."""

    service: str
    paused: bool
    until: dt.datetime | None = Field(description="When the pause ends by itself; null: never")
    staff: str
