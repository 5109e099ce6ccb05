"""The citizen API: services, issue, status, cancel.

Stateless: commands go to routing through the shared `CommandClient`; live
figures come from this service's own follower of the event log, computed by
the shared projection. Whether a request was a retry is the engine's answer
(`replayed`), never guessed from this service's own, possibly lagging, state.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.ticketing.keys import CITIZEN, TICKET_ID, TICKETING_KEY, Ticketing
from services.ticketing.ratelimit import check_rate
from services.ticketing.replies import created_ticket, json_response
from services.ticketing.schemas import CreatedTicket, ServicesView
from services.ticketing.views import services_view, ticket_view
from shared.contract import CancelTicket, IssueTicket
from shared.contract.results import TicketCancelledResult
from shared.http import ProblemError, problem
from shared.http.body import CITIZEN_BODY, json_body
from shared.http.idempotency import command_id, derived_command_id
from shared.http.openapi import Reply, combine, route
from shared.http.requester import client_address
from shared.projection.documents import CitizenTicket
from shared.runtime.commands import refusals
from shared.runtime.requests import NOT_READY, branch_of, live_of, require_caught_up
from shared.runtime.slots import known_service

# A citizen's cancel is one command per ticket, so cancelling twice answers alike.
CITIZEN_CANCEL = "citizen-cancel"


class TicketRequest(BaseModel):
    """The POST body. A citizen takes a normal ticket; priority is for staff."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [{"service": "pas"}]}
    )

    service: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Literal["kiosk", "web"] = "kiosk"


async def list_services(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    require_caught_up(request, config.id)
    now = t.ctx.clock()
    state = live_of(request, config.id).state_for(now)
    return json_response(services_view(config, state, now, t.demand.figures(config.id)))


async def issue_ticket(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    started = time.perf_counter()
    sent: dict[str, str] = {}  # the command id, once there is one: for the log line
    try:
        return await _issue(t, request, sent)
    except ProblemError as exc:
        t.metrics.refused.labels(config.id, exc.code).inc()
        t.ctx.log.info(
            "ticket refused",
            branch=config.id,
            code=exc.code,
            detail=exc.detail,
            command_id=sent.get("command_id"),
        )
        raise
    finally:
        t.metrics.issue_seconds.observe(time.perf_counter() - started)


async def _issue(t: Ticketing, request: web.Request, sent: dict[str, str]) -> web.Response:
    config = branch_of(request)
    check_rate(t.limiter, client_address(request))
    sent["command_id"] = command = command_id(request, config.id, CITIZEN)
    body = await json_body(request, TicketRequest, CITIZEN_BODY)
    known_service(config, body.service)
    # A reused key for another request is the engine's to refuse (idempotency_key_reused).
    answer = await t.commands.send(
        config.id,
        IssueTicket(service=body.service, channel=body.channel),
        actor=body.channel,
        command_id=command,
    )
    result = answer.result
    if not answer.replayed:
        t.metrics.issued.labels(config.id, body.service, body.channel).inc()
    t.ctx.log.info(
        "ticket issued",
        branch=config.id,
        number=result["number"],
        command_id=command,
        service=body.service,
        channel=body.channel,
        replay=answer.replayed,
    )
    return created_ticket(request, t.ctx.settings, config, result)


async def get_ticket(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    live = live_of(request, config.id)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket today")
    ticket = live.state_for(t.ctx.clock()).tickets.get(ticket_id)
    if ticket is None:
        require_caught_up(request, config.id)
        # Read your own write: a ticket issued a moment ago may not have
        # reached this service's reader yet.
        await live.wait_until(lambda state: ticket_id in state.tickets, t.options.read_own_write_s)
        ticket = live.state_for(t.ctx.clock()).tickets.get(ticket_id)
        if ticket is None:
            raise problem(404, "unknown_ticket", "no such ticket today")
    now = t.ctx.clock()
    return json_response(ticket_view(config, live.state_for(now), ticket, now))


async def cancel_ticket(request: web.Request) -> web.Response:
    """The citizen leaves. Cancelling twice answers alike (one command id per ticket)."""
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket today")
    command = derived_command_id(config.id, CITIZEN_CANCEL, ticket_id)
    answer = await t.commands.send(
        config.id,
        CancelTicket(ticket_id=ticket_id, reason="citizen"),
        actor="citizen",
        command_id=command,
    )
    if not answer.replayed:
        t.metrics.cancelled.labels(config.id).inc()
    t.ctx.log.info(
        "ticket cancelled by the citizen",
        branch=config.id,
        number=answer.result.get("number"),
        command_id=command,
    )
    return json_response(answer.result)


TAG = "tickets"
LOCATION = {"Location": "The ticket's status in this API"}


def add_routes(app: web.Application) -> None:
    base = "/api/v1/branches/{branch}"
    route(
        app,
        "GET",
        f"{base}/services",
        list_services,
        summary="The branch now: open or not, and each service's live wait",
        tag=TAG,
        replies=[Reply(200, "The branch and its services", ServicesView)],
        errors=NOT_READY,
    )
    route(
        app,
        "POST",
        f"{base}/tickets",
        issue_ticket,
        summary="Take a ticket",
        tag=TAG,
        request=TicketRequest,
        rules=CITIZEN_BODY,
        idempotent=True,
        replies=[Reply(201, "The ticket", CreatedTicket, headers=LOCATION)],
        errors=combine(
            refusals("unknown_service", "closed", "paused", "would_exceed_closing"),
            {429: ["rate_limited"]},
        ),
    )
    route(
        app,
        "GET",
        f"{base}/tickets/{{ticket_id}}",
        get_ticket,
        summary="Where a ticket stands",
        tag=TAG,
        replies=[Reply(200, "The ticket", CitizenTicket)],
        errors=combine({404: ["unknown_ticket"]}, NOT_READY),
    )
    route(
        app,
        "DELETE",
        f"{base}/tickets/{{ticket_id}}",
        cancel_ticket,
        summary="Leave the queue (cancelling twice answers alike)",
        tag=TAG,
        replies=[Reply(200, "The cancelled ticket", TicketCancelledResult)],
        errors=refusals("unknown_ticket", "ticket_in_service", "ticket_ended"),
    )
