"""What both command consumers do with a batch: ask the handler, isolate a command it fails on."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from shared.bus.base import BatchHandler, CommandDelivery
from shared.contract import Reply

log = structlog.get_logger(__name__)

FAILED = Reply.failure("internal_error", "the command could not be handled")


async def answer_batch(
    handler: BatchHandler, deliveries: Sequence[CommandDelivery], branch: str
) -> list[Reply | None]:
    """The handler's reply to each delivery, in order; None for one it fails alone (dead-letter it).

    A batch the handler fails is handed over again one command at a time, so
    one poison command costs only itself. The handler is idempotent (a
    command whose events were written is answered from the log), so handing
    the others over again is safe.
    """
    try:
        return list(await _replies(handler, deliveries))
    except Exception:
        if len(deliveries) == 1:
            _failed(deliveries[0], branch)
            return [None]
        log.warning(
            "command batch failed; handling its commands one at a time",
            branch=branch,
            commands=len(deliveries),
            exc_info=True,
        )
    answers: list[Reply | None] = []
    for delivery in deliveries:
        try:
            (reply,) = await _replies(handler, [delivery])
        except Exception:
            _failed(delivery, branch)
            answers.append(None)
        else:
            answers.append(reply)
    return answers


async def _replies(handler: BatchHandler, deliveries: Sequence[CommandDelivery]) -> Sequence[Reply]:
    replies = await handler(deliveries)
    if len(replies) != len(deliveries):
        raise RuntimeError(f"{len(replies)} replies to {len(deliveries)} commands")
    return replies


def _failed(delivery: CommandDelivery, branch: str) -> None:
    log.exception(
        "command handler failed",
        branch=branch,
        command_id=delivery.command.id,
        command_type=delivery.command.type.value,
    )
