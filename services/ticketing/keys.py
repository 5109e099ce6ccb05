"""What ticketing's handlers share, under typed app keys: the command client, limits, metrics.

One `Ticketing` per app, stored under `TICKETING_KEY`; its options are under
`OPTIONS_KEY`, the follower under the kit's `FOLLOWER_KEY`. Nothing module-level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from services.ticketing.options import TicketingOptions
from services.ticketing.ratelimit import DailyBookings
from shared.http.limits import RateLimiter
from shared.runtime import ServiceContext
from shared.runtime.commands import CommandClient
from shared.runtime.demand_board import DemandBoard

# The engine's ticket ids are url-safe base64 (22 characters); anything else
# cannot be a ticket, so it is a 404 without a look at the state.
TICKET_ID = re.compile(r"[A-Za-z0-9_-]{1,128}", re.ASCII)
# Appointment ids are made the same way (and so told apart from junk the same way).
APPOINTMENT_ID = TICKET_ID
# Every citizen shares one Idempotency-Key scope: a key is theirs by being
# random (16+ characters). Tickets and bookings share it, so one key sent for
# both is refused as reused rather than answered with the other's result.
CITIZEN = "citizen"


@dataclass(frozen=True)
class TicketMetrics:
    issued: Counter
    refused: Counter
    cancelled: Counter
    issue_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> TicketMetrics:
        return cls(
            issued=Counter(
                "qms_tickets_issued_total",
                "Tickets issued through the citizen API, by branch, service and channel",
                ["branch", "service", "channel"],
                registry=registry,
            ),
            refused=Counter(
                "qms_ticket_refusals_total",
                "Ticket requests answered with an error, by branch and problem code",
                ["branch", "code"],
                registry=registry,
            ),
            cancelled=Counter(
                "qms_tickets_cancelled_total",
                "Tickets the citizen cancelled (left the queue), by branch",
                ["branch"],
                registry=registry,
            ),
            issue_seconds=Histogram(
                "qms_ticket_issue_seconds",
                "From a ticket request's arrival to its answer, success or not",
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            ),
        )


@dataclass(frozen=True)
class AppointmentMetrics:
    booked: Counter
    refused: Counter
    cancelled: Counter
    checked_in: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> AppointmentMetrics:
        return cls(
            booked=Counter(
                "qms_appointments_booked_total",
                "Bookings made through the citizen API (not retries), by branch and service",
                ["branch", "service"],
                registry=registry,
            ),
            refused=Counter(
                "qms_appointment_refusals_total",
                "Booking, cancelling and check-in requests answered with an error, "
                "by branch, action (book, cancel, check_in) and problem code",
                ["branch", "action", "code"],
                registry=registry,
            ),
            cancelled=Counter(
                "qms_appointments_cancelled_total",
                "Bookings the citizen cancelled, by branch",
                ["branch"],
                registry=registry,
            ),
            checked_in=Counter(
                "qms_appointment_check_ins_total",
                "Check-ins that issued a ticket (a repeated check-in not counted), "
                "by branch and service",
                ["branch", "service"],
                registry=registry,
            ),
        )


@dataclass(frozen=True)
class Ticketing:
    ctx: ServiceContext
    options: TicketingOptions
    commands: CommandClient
    limiter: RateLimiter  # per client per minute: tickets, bookings, check-ins
    bookings: DailyBookings  # per client per branch-local day: bookings made
    metrics: TicketMetrics
    appointments: AppointmentMetrics
    demand: DemandBoard  # the weeks before today, for quiet hours


OPTIONS_KEY = web.AppKey("ticketing.options", TicketingOptions)
TICKETING_KEY = web.AppKey("ticketing", Ticketing)
