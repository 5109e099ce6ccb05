"""The one place where commands become replies: metrics and logs around the writer."""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from services.routing.writer import FencedWriter
from shared.bus import BatchHandler, CommandDelivery
from shared.contract import Reply
from shared.runtime import ServiceContext


def make_handler(ctx: ServiceContext, writer: FencedWriter) -> BatchHandler:
    """A batch handler for `ctx`; its metrics live in the service's own registry."""
    handled = Counter(
        "qms_commands_total",
        "Commands answered, by branch, type and result code",
        ["branch", "type", "code"],
        registry=ctx.registry,
    )
    latency = Histogram(
        "qms_command_seconds",
        "From handing over the command's batch to its reply: decide, publish, read back",
        ["type"],
        registry=ctx.registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    batch_size = Histogram(
        "qms_command_batch_size",
        "Commands decided and written together (group commit)",
        registry=ctx.registry,
        buckets=(1, 2, 4, 8, 16, 32, 64, 128),
    )

    async def handle(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        started = time.perf_counter()
        replies = await writer.handle_batch(deliveries)
        took = time.perf_counter() - started
        batch_size.observe(len(deliveries))
        for delivery, reply in zip(deliveries, replies, strict=True):
            command = delivery.command
            latency.labels(command.type.value).observe(took)
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
                batch=len(deliveries),
            )
        return replies

    return handle
