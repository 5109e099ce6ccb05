"""The routing service: the queue engine of every configured branch.

Every replica follows each branch's log (the state changes only there) and
consumes the branch's command queue; RabbitMQ keeps one consumer active per
branch and fails over when its channel dies. Ready once it consumes commands
and has read each branch's log up to now.

`qms_routing_active{branch}` is 1 on the replica that consumes the branch's
commands now, 0 on a standby (how exact that is: `CommandConsumer.active`,
and the README's "Metrics").
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import Gauge

from services.routing.engine import RandomIds
from services.routing.handler import make_handler
from services.routing.keys import CONSUMERS_KEY, OPTIONS_KEY
from services.routing.options import RoutingOptions
from services.routing.writer import FencedWriter
from shared.bus import CommandConsumer
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY, ServiceSpec


def replica_id() -> str:
    """Unique per process start: events name their writer, and the fence tells writers apart."""
    return f"routing-{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@asynccontextmanager
async def consume_commands(app: web.Application) -> AsyncIterator[None]:
    """Decide each branch's commands while the app runs (the follower already reads)."""
    ctx, follower = app[CONTEXT_KEY], app[FOLLOWER_KEY]
    ctx.readiness.require("commands", "not consuming commands yet")
    writer = FencedWriter(
        ctx.bus,
        follower.lives,
        writer=follower.writer,
        ids=RandomIds(),
        clock=ctx.clock,
        read_timeout_s=app[OPTIONS_KEY].read_timeout_s,
    )
    handler = make_handler(ctx, writer)
    consumers: list[CommandConsumer] = []
    app[CONSUMERS_KEY] = consumers
    active = Gauge(
        "qms_routing_active",
        "1 while this replica is the one consuming the branch's commands, 0 standing by",
        ["branch"],
        registry=ctx.registry,
    )
    for branch_id in ctx.branches:
        active.labels(branch_id).set(0)
    try:
        # Each branch's log exists before its first command is decided and written.
        await ctx.bus.declare_branches(ctx.branches)
        for branch_id in ctx.branches:
            consumer = await ctx.bus.consume_command_batches(branch_id, handler)
            consumers.append(consumer)
            active.labels(branch_id).set_function(_is_active(consumer))
        ctx.readiness.set_ready("commands", f"consuming commands of {len(consumers)} branch(es)")
        ctx.log.info("queue engine running", writer=follower.writer, branches=sorted(ctx.branches))
        yield
    finally:
        ctx.readiness.set_not_ready("commands", "stopping")
        # Closing hands unacknowledged commands to the next replica, in order.
        for consumer in reversed(consumers):
            await consumer.close()


def _is_active(consumer: CommandConsumer) -> Callable[[], float]:
    return lambda: float(consumer.active)


SPEC = ServiceSpec(
    name="routing",
    options=RoutingOptions.from_env,
    options_key=OPTIONS_KEY,
    routes=(),
    follows_log=True,
    running=(consume_commands,),
    writer=replica_id,
)
create_app = SPEC.create_app
