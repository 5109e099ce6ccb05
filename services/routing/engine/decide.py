"""`decide(state, command, ...)`: the pure queue engine (docs/queue-rules.md).

No I/O, no clock, no randomness: time, ids and the writer's name are
arguments. A business refusal is a `Decision` with a failure reply, never an
exception; nothing is written for it, so retrying a refused command decides
it afresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from services.routing.engine import (
    appointment_commands,
    desk_commands,
    service_commands,
    ticket_commands,
)
from services.routing.engine.context import Context
from services.routing.engine.decision import Decision, Refusal, StateMismatch
from services.routing.engine.ids import IdSource
from services.routing.engine.results import reply_for
from services.routing.engine.retries import same_request
from shared.config.schema import BranchConfig
from shared.contract.commands import Command, CommandType, Reply
from shared.contract.events import Event
from shared.projection import BranchState, Verdict, apply, local_day

_Handler = Callable[[Context, Any], Decision]

# How old a command may be when it is decided. Senders retry for a few seconds
# and then report failure; a command that waited longer (routing was down, the
# queue held it) is refused rather than acted on by surprise. Generous enough
# for clocks a few seconds apart.
COMMAND_TTL_S = 30.0

_HANDLERS: dict[CommandType, _Handler] = {
    CommandType.ISSUE_TICKET: ticket_commands.issue_ticket,
    CommandType.CANCEL_TICKET: ticket_commands.cancel_ticket,
    CommandType.CLOSE_DAY: lambda ctx, _data: ticket_commands.close_day(ctx),
    CommandType.OPEN_COUNTER: desk_commands.open_counter,
    CommandType.CLOSE_COUNTER: desk_commands.close_counter,
    CommandType.CALL_NEXT: desk_commands.call_next,
    CommandType.CALL_TICKET: desk_commands.call_ticket,
    CommandType.RECALL: desk_commands.recall,
    CommandType.START_SERVING: desk_commands.start_serving,
    CommandType.FINISH: desk_commands.finish,
    CommandType.NO_SHOW: desk_commands.no_show,
    CommandType.TRANSFER: desk_commands.transfer,
    CommandType.BOOK_APPOINTMENT: appointment_commands.book_appointment,
    CommandType.CANCEL_APPOINTMENT: appointment_commands.cancel_appointment,
    CommandType.CHECK_IN: appointment_commands.check_in,
    CommandType.PAUSE_SERVICE: service_commands.pause_service,
    CommandType.RESUME_SERVICE: service_commands.resume_service,
}


def decide(
    state: BranchState,
    command: Command,
    *,
    config: BranchConfig,
    now: dt.datetime,
    ids: IdSource,
    writer: str,
) -> Decision:
    """The events `command` writes at `now`, or the reply to give without writing.

    `state` must be the state of `config`'s branch for the local day of `now`
    (else StateMismatch: at midnight the caller starts a fresh state). The
    state is not changed; events are numbered from `state.seq + 1`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("decide needs an aware `now`")
    day = local_day(config, now)
    if state.branch != config.id or state.day != day:
        raise StateMismatch(
            f"state is for {state.branch} {state.day}, but now is {config.id} {day}"
        )
    if command.branch != state.branch:
        return Decision.refuse(
            Refusal.WRONG_BRANCH, f"this is the queue of {state.branch!r}, not {command.branch!r}"
        )
    record = state.commands.get(command.id)
    if record is not None:
        if not same_request(record, command, config, state.calendar):
            return Decision.refuse(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                f"command id {command.id!r} was used today for another request; "
                "send each request under an id of its own",
            )
        earlier = reply_for(state, command.id, config, now)
        assert earlier is not None  # a recorded command has a result
        return Decision(reply=earlier.model_copy(update={"replayed": True}))
    age_s = now.timestamp() - command.at.timestamp()
    if age_s > COMMAND_TTL_S:
        # The sender gave up long ago (routing was down): a kiosk that told the
        # citizen "try again" must not have a ticket appear behind its back.
        return Decision.refuse(
            Refusal.EXPIRED,
            f"the command waited {age_s:.0f} s, longer than {COMMAND_TTL_S:.0f} s; send it anew",
        )
    ctx = Context(
        state=state, command=command, config=config, now=now, day=day, ids=ids, writer=writer
    )
    return _HANDLERS[command.type](ctx, command.data)


def decide_and_apply(
    state: BranchState,
    command: Command,
    *,
    config: BranchConfig,
    now: dt.datetime,
    ids: IdSource,
    writer: str,
) -> tuple[Reply, tuple[Event, ...]]:
    """Decide, apply the events to `state` in place, and reply.

    For a single process that owns its state (tests, benchmarks, tools). The
    routing service instead publishes the events and lets its log reader
    apply them, then calls `reply_for` (read your writes: docs/architecture.md,
    "The single writer").
    """
    decision = decide(state, command, config=config, now=now, ids=ids, writer=writer)
    if decision.reply is not None:
        return decision.reply, ()
    for event in decision.events:
        verdict = apply(state, event)
        if verdict is not Verdict.APPLY:  # decide numbers from state.seq: cannot happen
            raise AssertionError(f"own event seq {event.seq} not applied: {verdict}")
    reply = reply_for(state, command.id, config, now)
    assert reply is not None, "a command that wrote events has a recorded result"
    return reply, decision.events
