"""The citizen API (DESIGN, "Ticketing"): services, issue, status, cancel.

Stateless: commands go to routing through the shared `CommandClient`; live
figures come from this service's own follower of the event log, computed by
the shared projection.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from typing import Annotated, Any, Literal

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.ticketing.ratelimit import client_key
from services.ticketing.runtime import TICKET_ID, TICKETING_KEY, Ticketing, utc_now
from services.ticketing.urls import phone_url, status_path
from services.ticketing.views import services_view, ticket_view
from shared.contract import CancelTicket, IssueTicket
from shared.contract.base import field_path
from shared.http import ProblemError, problem

# Command ids derived from an Idempotency-Key live in their own namespace, so
# they never meet ids made any other way.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f0c55a4-7d0e-4a53-9a37-2f0a4b1e9c11")
CANCEL_NAMESPACE = uuid.UUID("0d8e7c0b-5b7f-4c52-8f4e-0b6a4c3d2e19")
# Long enough to be random (a UUID is 36 characters), so two clients do not
# pick the same key and get each other's ticket.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._~:-]{16,128}", re.ASCII)
NO_STORE = {"Cache-Control": "no-store"}


class TicketRequest(BaseModel):
    """The POST body. A citizen takes a normal ticket; priority is for staff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Literal["kiosk", "web"] = "kiosk"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


def command_id_for(branch: str, key: str) -> str:
    """The same key at the same branch is the same command: the engine answers a retry."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{branch}\n{key}"))


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise problem(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key must be 16-128 characters of A-Z a-z 0-9 . _ ~ : - (use a UUID)",
            extra={"field": "Idempotency-Key"},
        )
    return key


async def _ticket_request(request: web.Request) -> TicketRequest:
    raw = await request.read()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise problem(400, "bad_json", f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise problem(400, "bad_json", "the body must be a JSON object")
    try:
        return TicketRequest.model_validate(body)
    except ValidationError as exc:
        errors = [
            {"field": field_path(tuple(e["loc"])), "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        first = errors[0]
        raise problem(
            422,
            "invalid_field",
            f"{first['field']}: {first['message']}",
            extra={"field": first["field"], "errors": errors},
        ) from exc


def _check_rate(t: Ticketing, request: web.Request) -> None:
    client = client_key(
        request.remote, request.headers.get("X-Forwarded-For"), t.options.trusted_proxies
    )
    wait_s = t.limiter.hit(client)
    if wait_s is not None:
        raise problem(
            429,
            "rate_limited",
            f"more than {t.limiter.limit} tickets a minute from this address; wait a moment",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


async def list_services(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config, live = t.branch(request)
    t.require_caught_up(config.id)
    now = utc_now()
    return _json(services_view(config, live.state_for(now), now))


async def issue_ticket(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config, _live = t.branch(request)
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
    config, live = t.branch(request)
    _check_rate(t, request)
    key = _idempotency_key(request)
    body = await _ticket_request(request)
    if config.service(body.service) is None:
        raise problem(
            404,
            "unknown_service",
            f"no service {body.service!r} at {config.id}",
            extra={"field": "service"},
        )
    command_id = command_id_for(config.id, key) if key else str(uuid.uuid4())
    sent["command_id"] = command_id
    replay = key is not None and command_id in live.state.commands
    result = await t.commands.send(
        config.id,
        IssueTicket(service=body.service, channel=body.channel),
        actor=body.channel,
        command_id=command_id,
    )
    if result.get("service") != body.service:
        # The key's first request asked for another service: not a retry of this one.
        raise problem(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for another request; use a fresh key per ticket",
            extra={"field": "Idempotency-Key"},
        )
    ticket_id = str(result["ticket_id"])
    if not replay:
        t.metrics.issued.labels(config.id, body.service, body.channel).inc()
    t.ctx.log.info(
        "ticket issued",
        branch=config.id,
        number=result["number"],
        command_id=command_id,
        service=body.service,
        channel=body.channel,
        replay=replay,
    )
    service = config.service(body.service)
    area = config.area(str(result["area"]))
    location = status_path(config.id, ticket_id)
    answer = {
        "ticket_id": ticket_id,
        "number": result["number"],
        "service": result["service"],
        "area": result["area"],
        "position": result.get("position"),
        "estimated_wait_s": result.get("estimated_wait_s"),
        "issued_at": result["issued_at"],
        "status_url": location,
        "service_name": service.name.model_dump() if service else None,
        "area_name": area.name if area else result["area"],
        "phone_url": phone_url(request, t.ctx.settings, config.id, ticket_id),
    }
    return _json(answer, status=201, headers={"Location": location})


async def get_ticket(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config, live = t.branch(request)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket today")
    ticket = live.state_for(utc_now()).tickets.get(ticket_id)
    if ticket is None:
        t.require_caught_up(config.id)
        # Read your own write: a ticket issued a moment ago may not have
        # reached this service's reader yet.
        await live.wait_until(lambda state: ticket_id in state.tickets, t.options.read_own_write_s)
        ticket = live.state_for(utc_now()).tickets.get(ticket_id)
        if ticket is None:
            raise problem(404, "unknown_ticket", "no such ticket today")
    now = utc_now()
    return _json(ticket_view(config, live.state_for(now), ticket, now))


async def cancel_ticket(request: web.Request) -> web.Response:
    """The citizen leaves. Cancelling twice answers alike (one command id per ticket)."""
    t = request.app[TICKETING_KEY]
    config, live = t.branch(request)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket today")
    before = live.state.tickets.get(ticket_id)
    repeated = before is not None and before.cancel_reason == "citizen"
    command_id = str(uuid.uuid5(CANCEL_NAMESPACE, f"{config.id}\n{ticket_id}"))
    result = await t.commands.send(
        config.id,
        CancelTicket(ticket_id=ticket_id, reason="citizen"),
        actor="citizen",
        command_id=command_id,
    )
    if not repeated:
        t.metrics.cancelled.labels(config.id).inc()
    t.ctx.log.info(
        "ticket cancelled by the citizen",
        branch=config.id,
        number=result.get("number"),
        command_id=command_id,
    )
    return _json(result)


def add_routes(app: web.Application) -> None:
    base = "/api/v1/branches/{branch}"
    app.router.add_get(f"{base}/services", list_services)
    app.router.add_post(f"{base}/tickets", issue_ticket)
    app.router.add_get(f"{base}/tickets/{{ticket_id}}", get_ticket)
    app.router.add_delete(f"{base}/tickets/{{ticket_id}}", cancel_ticket)
