"""Manager routes that steer a service: pause its new tickets (optionally until a time), resume.

`until` is a clock time in the branch's zone, today ("14:00"); the engine
gets the instant, and refuses one that has passed (`in_the_past`). The queue
of a paused service goes on: desks keep calling it, phones keep following.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from aiohttp import web
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field

from services.staff.auth import MANAGER
from services.staff.desk_api import NoBody, commands_counted, send_command
from services.staff.keys import AUTH_KEY
from services.staff.schemas import ServicePaused
from shared.config.schema import BranchConfig
from shared.contract import CommandData, PauseService, ResumeService
from shared.http.body import STAFF_BODY, json_body
from shared.http.idempotency import command_id
from shared.http.openapi import Reply, route
from shared.http.problem import problem
from shared.projection import clock_text, local_day
from shared.runtime import CONTEXT_KEY
from shared.runtime.commands import refusals
from shared.runtime.requests import branch_of

ClockTime = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["14:00"]),
]


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"until": "14:00"}]})

    # None: until a manager resumes it (the pause ends with the day in any case).
    until: ClockTime | None = None


def _until(config: BranchConfig, now: dt.datetime, text: str | None) -> dt.datetime | None:
    """Today's `HH:MM` in the branch zone as an instant."""
    if text is None:
        return None
    hour, minute = (int(part) for part in text.split(":"))
    day = local_day(config, now)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=config.branch.tz)


def _pause(config: BranchConfig, service: str, body: Any, now: dt.datetime) -> CommandData:
    return PauseService(service=service, until=_until(config, now, body.until))


def _resume(config: BranchConfig, service: str, body: Any, now: dt.datetime) -> CommandData:
    return ResumeService(service=service)


Build = Callable[[BranchConfig, str, Any, dt.datetime], CommandData]
# action -> (summary, body, command builder, the engine's refusals besides `expired`)
ACTIONS: dict[str, tuple[str, type[BaseModel], Build, tuple[str, ...]]] = {
    "pause": (
        "Pause a service: no new tickets (optionally until HH:MM today); the queue goes on",
        PauseBody,
        _pause,
        ("unknown_service", "in_the_past"),
    ),
    "resume": (
        "Resume a paused service",
        NoBody,
        _resume,
        ("unknown_service", "not_paused"),
    ),
}


def add_routes(app: web.Application) -> None:
    counted = commands_counted(app)
    for action, (summary, body, _, codes) in ACTIONS.items():
        route(
            app,
            "POST",
            f"/api/v1/branches/{{branch}}/services/{{service}}/{action}",
            _handler(action, counted),
            summary=summary,
            tag="manager",
            role=MANAGER,
            request=body,
            rules=STAFF_BODY,
            request_required=False,
            idempotent=True,
            replies=[Reply(200, "The service's pause as it now stands", ServicePaused)],
            errors=refusals(*codes),
        )


def _handler(action: str, counted: Counter) -> Callable[[web.Request], Awaitable[web.Response]]:
    _summary, model, build, _codes = ACTIONS[action]

    async def handle(request: web.Request) -> web.Response:
        who = request.app[AUTH_KEY].authorize(request, MANAGER)
        config = branch_of(request)
        service = request.match_info["service"]
        if config.service(service) is None:  # the engine would say the same, later
            raise problem(404, "unknown_service", f"no service {service!r} here")
        command = command_id(request, config.id, who.staff_id)
        body = await json_body(request, model, STAFF_BODY)
        now = request.app[CONTEXT_KEY].clock()
        data = build(config, service, body, now)
        result = await send_command(request, config, data, who.staff_id, command, action, counted)
        until = result.get("until")
        result["paused_until"] = (
            clock_text(config, dt.datetime.fromisoformat(until)) if until else None
        )
        return web.json_response(result)

    return handle
