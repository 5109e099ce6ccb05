"""The one place where a command becomes a reply.

The queue engine is not installed yet, so every command is answered
`not_ready`. When it lands, this is what changes: sync marker, decide,
publish, wait for our own reader, reply (DESIGN, "Single writer, fenced").
"""

from __future__ import annotations

from prometheus_client import Counter

from shared.bus import CommandDelivery, CommandHandler
from shared.contract import Reply
from shared.runtime import ServiceContext

NOT_READY = Reply.failure("not_ready", "queue engine not installed yet")


def make_handler(ctx: ServiceContext) -> CommandHandler:
    """A command handler for `ctx`; its metric lives in the service's own registry."""
    handled = Counter(
        "qms_commands_total",
        "Commands answered, by branch, type and result code",
        ["branch", "type", "code"],
        registry=ctx.registry,
    )

    async def handle(delivery: CommandDelivery) -> Reply:
        command = delivery.command
        reply = NOT_READY
        code = reply.error.code if reply.error is not None else "ok"
        handled.labels(command.branch, command.type.value, code).inc()
        ctx.log.info(
            "command answered",
            branch=command.branch,
            command_id=command.id,
            type=command.type.value,
            code=code,
            redelivered=delivery.redelivered,
        )
        return reply

    return handle
