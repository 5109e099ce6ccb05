"""The staff API's commands: desk actions and issuing a ticket on a citizen's behalf.

Each request becomes one engine command whose actor is the token's staff id;
the engine's refusal comes back as problem+json with its code (CommandClient).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from aiohttp import web
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field

from services.staff.auth import STAFF
from services.staff.keys import AUTH_KEY, COMMANDS_KEY
from services.staff.schemas import (
    DeskCalled,
    DeskClosed,
    DeskFinished,
    DeskOpened,
    DeskRecalled,
    DeskServingOrNoShow,
    DeskTransferred,
    StaffTicket,
)
from shared.config.schema import BranchConfig
from shared.contract import (
    CallNext,
    CallTicket,
    CloseCounter,
    CommandData,
    Finish,
    IssueTicket,
    NoShow,
    OpenCounter,
    Recall,
    StartServing,
    Transfer,
)
from shared.http.body import STAFF_BODY, json_body
from shared.http.idempotency import command_id
from shared.http.openapi import Reply, combine, route
from shared.http.problem import ProblemError, problem
from shared.http.urls import ticket_urls
from shared.projection import desk_name
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY
from shared.runtime.commands import refusals
from shared.runtime.live import read_up_to_now
from shared.runtime.requests import branch_of

Identifier = Annotated[str, Field(min_length=1, max_length=128)]
CHECK_WITHIN_S = 5.0


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(_Body):
    services: list[Identifier] | None = None


class NoBody(_Body):
    pass


class HeldBody(_Body):
    """Actions on the desk's current ticket.

    `number`, optional: the ticket the console shows. When the desk holds
    another one by now (a second console acted first), the action is refused
    with `ticket_changed` instead of hitting the wrong citizen.
    """

    number: Identifier | None = None


class CallBody(_Body):
    ticket_id: Identifier


class TransferBody(HeldBody):
    service: Identifier
    position: Literal["front", "back"] = "back"


class IssueBody(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"service": "pas"}]})

    service: Identifier
    priority: Literal[0, 1] = 0


Build = Callable[[str, Any], CommandData]

# action (the last path segment) -> (body model, command builder)
ACTIONS: dict[str, tuple[type[_Body], Build]] = {
    "open": (OpenBody, lambda c, b: OpenCounter(counter=c, services=b.services)),
    "close": (NoBody, lambda c, b: CloseCounter(counter=c)),
    "call-next": (NoBody, lambda c, b: CallNext(counter=c)),
    "call": (CallBody, lambda c, b: CallTicket(counter=c, ticket_id=b.ticket_id)),
    "recall": (HeldBody, lambda c, b: Recall(counter=c)),
    "start": (HeldBody, lambda c, b: StartServing(counter=c)),
    "finish": (HeldBody, lambda c, b: Finish(counter=c)),
    "no-show": (HeldBody, lambda c, b: NoShow(counter=c)),
    "transfer": (
        TransferBody,
        lambda c, b: Transfer(counter=c, service=b.service, position=b.position),
    ),
}


COUNTED_KEY = web.AppKey("staff.commands_counted", Counter)


def commands_counted(app: web.Application) -> Counter:
    """`qms_staff_commands_total`: one counter for every staff command route (made once)."""
    counted = app.get(COUNTED_KEY)
    if counted is None:
        counted = app[COUNTED_KEY] = Counter(
            "qms_staff_commands_total",
            "Staff API commands, by branch, action and result code",
            ["branch", "action", "code"],
            registry=app[CONTEXT_KEY].registry,
        )
    return counted


HELD = ("counter_closed", "no_current_ticket")
# action -> (summary, the answer's model, the engine's refusals besides `expired`)
DESCRIBED: dict[str, tuple[str, type[BaseModel], tuple[str, ...]]] = {
    "open": (
        "Open the desk (or re-open it) for some of its skills",
        DeskOpened,
        ("unknown_counter", "no_services", "unknown_service", "not_skilled"),
    ),
    "close": ("Close the desk", DeskClosed, ("counter_closed", "counter_busy")),
    "call-next": (
        "Call the next ticket in the desk's call order",
        DeskCalled,
        ("counter_closed", "no_waiting_ticket"),
    ),
    "call": (
        "Call a given waiting ticket",
        DeskCalled,
        ("counter_closed", "unknown_ticket", "ticket_not_waiting"),
    ),
    "recall": (
        "Call the desk's ticket again",
        DeskRecalled,
        (*HELD, "already_serving", "max_recalls_reached"),
    ),
    "start": ("Start serving the desk's ticket", DeskServingOrNoShow, (*HELD, "already_serving")),
    "finish": ("Finish the desk's ticket", DeskFinished, HELD),
    "no-show": (
        "The desk's ticket did not come",
        DeskServingOrNoShow,
        (*HELD, "already_serving", "recalls_remaining"),
    ),
    "transfer": (
        "Send the desk's ticket to another service's queue",
        DeskTransferred,
        (*HELD, "unknown_service", "closed"),
    ),
}
TAG = "desks"


def add_routes(app: web.Application) -> None:
    counted = commands_counted(app)
    for action, (model, _) in ACTIONS.items():
        summary, reply, codes = DESCRIBED[action]
        changed = {409: ["ticket_changed"]} if "number" in model.model_fields else {}
        route(
            app,
            "POST",
            f"/api/v1/branches/{{branch}}/counters/{{counter}}/{action}",
            _desk_handler(action, counted),
            summary=summary,
            tag=TAG,
            role=STAFF,
            request=model,
            rules=STAFF_BODY,
            request_required=False,
            idempotent=True,
            replies=[Reply(200, "The engine's result, with the desk's name", reply)],
            errors=combine({404: ["unknown_counter"]}, refusals(*codes), changed),
        )
    route(
        app,
        "POST",
        "/api/v1/branches/{branch}/tickets",
        _issue_handler(counted),
        summary="Issue a ticket on a citizen's behalf (channel staff)",
        tag="tickets",
        role=STAFF,
        request=IssueBody,
        rules=STAFF_BODY,
        idempotent=True,
        replies=[Reply(201, "The ticket", StaffTicket)],
        errors=refusals("unknown_service", "closed", "paused", "would_exceed_closing"),
    )


def _desk_handler(
    action: str, counted: Counter
) -> Callable[[web.Request], Awaitable[web.Response]]:
    model, build = ACTIONS[action]

    async def handle(request: web.Request) -> web.Response:
        who = request.app[AUTH_KEY].authorize(request, STAFF)
        config = branch_of(request)
        counter = request.match_info["counter"]
        desk = config.counter(counter)
        if desk is None:  # the engine would say the same, one round trip later
            raise problem(404, "unknown_counter", f"no desk {counter!r} here")
        # Chosen here rather than by the command client, so this service's log
        # lines carry the id the engine's lines carry.
        command = command_id(request, config.id, who.staff_id)
        body = await json_body(request, model, STAFF_BODY)
        expected = getattr(body, "number", None)
        if expected is not None:
            await _check_current(request, config, counter, expected)
        result = await send_command(
            request, config, build(counter, body), who.staff_id, command, action, counted
        )
        result["counter_name"] = desk_name(config, counter)
        return web.json_response(result)

    return handle


def _issue_handler(counted: Counter) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        who = request.app[AUTH_KEY].authorize(request, STAFF)
        config = branch_of(request)
        command = command_id(request, config.id, who.staff_id)
        body = await json_body(request, IssueBody, STAFF_BODY)
        data = IssueTicket(service=body.service, channel="staff", priority=body.priority)
        result = await send_command(request, config, data, who.staff_id, command, "issue", counted)
        result["channel"] = "staff"
        urls = ticket_urls(
            request, request.app[CONTEXT_KEY].settings, config.id, str(result["ticket_id"])
        )
        result["status_url"] = urls.status_url
        result["ticket_url"] = urls.page_url
        return web.json_response(result, status=201)

    return handle


async def send_command(
    request: web.Request,
    config: BranchConfig,
    data: CommandData,
    staff_id: str,
    command_id: str,
    action: str,
    counted: Counter,
) -> dict[str, Any]:
    ctx = request.app[CONTEXT_KEY]
    log = ctx.log.bind(branch=config.id, action=action, staff=staff_id, command_id=command_id)
    try:
        answer = await request.app[COMMANDS_KEY].send(
            config.id, data, actor=staff_id, command_id=command_id
        )
    except ProblemError as exc:
        counted.labels(config.id, action, exc.code).inc()
        log.info("staff command refused", code=exc.code, counter=getattr(data, "counter", None))
        raise
    counted.labels(config.id, action, "ok").inc()
    result = dict(answer.result)
    log.info(
        "staff command done",
        counter=result.get("counter"),
        number=result.get("number"),
        status=result.get("status"),
        replay=answer.replayed,
    )
    return result


async def _check_current(
    request: web.Request, config: BranchConfig, counter: str, expected: str
) -> None:
    """Refuse when the desk holds another ticket than the console showed.

    Checked on this service's read model; when it disagrees, it is brought up
    to now first (a marker through the log), so a console that is ahead of the
    read model is never refused. The engine still refuses what is stale by
    the time it decides (`no_current_ticket`).
    """
    follower = request.app[FOLLOWER_KEY]
    live = follower.lives[config.id]

    def other() -> str | None:
        """The number of another ticket the desk holds; None if it holds `expected`.

        A closed or empty desk is the engine's to refuse (`counter_closed`,
        `no_current_ticket`), with the codes every client knows.
        """
        ticket = live.state.ticket_at(counter)
        if ticket is None or ticket.number == expected:
            return None
        return ticket.number

    if other() is None:
        return
    ctx = request.app[CONTEXT_KEY]
    await read_up_to_now(ctx.bus, live, follower.writer, CHECK_WITHIN_S, clock=ctx.clock)
    held = other()
    if held is not None:
        raise problem(
            409,
            "ticket_changed",
            f"the desk now holds {held}, not {expected}: someone else acted on it",
            extra={"current": held, "expected": expected},
        )
