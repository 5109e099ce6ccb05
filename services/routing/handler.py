"""The one place where a command becomes a reply: metrics and logs around the writer."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

from services.routing.writer import FencedWriter
from shared.bus import CommandDelivery, CommandHandler
from shared.contract import Reply
from shared.runtime import ServiceContext


def make_handler(ctx: ServiceContext, writer: FencedWriter) -> CommandHandler:
    """A command handler for `ctx`; its metrics live in the service's own registry."""
    handled = Counter(
        "qms_commands_total",
        "Commands answered, by branch, type and result code",
        ["branch", "type", "code"],
        registry=ctx.registry,
    )
    latency = Histogram(
        "qms_command_seconds",
        "From delivery to reply: decide, publish, read back",
        ["type"],
        registry=ctx.registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )

    async def handle(delivery: CommandDelivery) -> Reply:
        command = delivery.command
        started = time.perf_counter()
        reply = await writer.handle(delivery)
        latency.labels(command.type.value).observe(time.perf_counter() - started)
        code = reply.error.code if reply.error is not None else "ok"
        handled.labels(command.branch, command.type.value, code).inc()
        result = reply.result or {}
        ctx.log.info(
            "command answered",
            branch=command.branch,
            command_id=command.id,
            type=command.type.value,
            code=code,
            number=result.get("number"),
            redelivered=delivery.redelivered,
        )
        return reply

    return handle
