"""What ticketing's handlers share: the follower, the command client, the limiter, metrics.

One `Ticketing` per app, stored under `TICKETING_KEY`; nothing module-level.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from services.ticketing.options import TicketingOptions
from services.ticketing.ratelimit import RateLimiter
from shared.config.schema import BranchConfig
from shared.http import problem
from shared.runtime import EventFollower, ServiceContext
from shared.runtime.commands import RETRY_AFTER_S, CommandClient
from shared.runtime.live import LiveBranch

# The engine's ticket ids are url-safe base64 (22 characters); anything else
# cannot be a ticket, so it is a 404 without a look at the state.
TICKET_ID = re.compile(r"[A-Za-z0-9_-]{1,128}", re.ASCII)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
class Ticketing:
    ctx: ServiceContext
    options: TicketingOptions
    follower: EventFollower
    commands: CommandClient
    limiter: RateLimiter
    metrics: TicketMetrics

    def branch(self, request: web.Request) -> tuple[BranchConfig, LiveBranch]:
        branch_id = request.match_info["branch"]
        config = self.ctx.branches.get(branch_id)
        if config is None:
            raise problem(404, "unknown_branch", f"no branch {branch_id!r} here")
        return config, self.follower.lives[branch_id]

    def require_caught_up(self, branch_id: str) -> None:
        """Figures from a reader still replaying the day would be wrong: say so instead."""
        if branch_id not in self.follower.caught_up:
            raise problem(
                503,
                "not_ready",
                "still reading today's events; try again in a moment",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )


TICKETING_KEY = web.AppKey("ticketing", Ticketing)
