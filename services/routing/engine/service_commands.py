"""Commands a manager gives about a service: pause and resume its new tickets."""

from __future__ import annotations

from services.routing.engine.context import Context
from services.routing.engine.decision import Decision, Refusal
from shared.contract.commands import PauseService, ResumeService
from shared.contract.events import ServicePaused, ServiceResumed
from shared.projection import Pause


def pause_service(ctx: Context, data: PauseService) -> Decision:
    """Stop new tickets for a service, until resumed or until `data.until`.

    Pausing a paused service again sets its new end. Waiting and called
    tickets are untouched: the desks go on calling them.
    """
    service = ctx.config.service(data.service)
    if service is None:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {data.service!r} here")
    if data.until is not None and data.until <= ctx.now:
        return Decision.refuse(
            Refusal.IN_THE_PAST,
            f"the pause would end at {data.until.isoformat()}, which has passed",
            {"until": data.until.isoformat()},
        )
    ctx.emit(ServicePaused(service=service.id, until=data.until, staff=ctx.command.actor))
    return ctx.written()


def resume_service(ctx: Context, data: ResumeService) -> Decision:
    service = ctx.config.service(data.service)
    if service is None:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {data.service!r} here")
    if ctx.state.pause_of(service.id, ctx.now) is None:
        return Decision.refuse(Refusal.NOT_PAUSED, f"{service.id!r} is not paused")
    ctx.emit(ServiceResumed(service=service.id, staff=ctx.command.actor))
    return ctx.written()


def paused(pause: Pause) -> Decision:
    """The refusal of a ticket for a paused service, naming when it opens again."""
    until = pause.until.isoformat() if pause.until is not None else None
    when = f" until {until}" if until else " until a manager resumes it"
    return Decision.refuse(
        Refusal.PAUSED,
        f"{pause.service!r} takes no new tickets{when}",
        {"until": until},
    )
