"""The routing service's application: the queue engine of every configured branch.

Every replica follows each branch's log (the state changes only there) and
consumes the branch's command queue; RabbitMQ keeps one consumer active per
branch and fails over when its channel dies. Ready once it consumes commands
and has read each branch's log up to now.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from services.routing.engine import RandomIds
from services.routing.handler import make_handler
from services.routing.writer import FencedWriter
from shared.bus import CommandConsumer
from shared.runtime import CONTEXT_KEY, EventFollower, ServiceContext, base_app

CONSUMERS_KEY = web.AppKey("routing.consumers", list[CommandConsumer])
FOLLOWER_KEY = web.AppKey("routing.follower", EventFollower)


def create_app(ctx: ServiceContext) -> web.Application:
    app = base_app(ctx)
    app.cleanup_ctx.append(run_engine)
    return app


def replica_id() -> str:
    """Unique per process start: events name their writer, and the fence tells writers apart."""
    return f"routing-{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def run_engine(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CONTEXT_KEY]
    writer_id = replica_id()
    ctx.readiness.require("commands", "not consuming commands yet")
    follower = EventFollower(ctx, writer=writer_id)
    app[FOLLOWER_KEY] = follower
    follower.start()
    writer = FencedWriter(ctx.bus, follower.lives, writer=writer_id, ids=RandomIds(), clock=utc_now)
    handler = make_handler(ctx, writer)
    consumers: list[CommandConsumer] = []
    app[CONSUMERS_KEY] = consumers
    try:
        # Each branch's log exists before its first command is decided and written.
        await ctx.bus.declare_branches(ctx.branches)
        for branch_id in ctx.branches:
            consumers.append(await ctx.bus.consume_commands(branch_id, handler))
        ctx.readiness.set_ready("commands", f"consuming commands of {len(consumers)} branch(es)")
        ctx.log.info("queue engine running", writer=writer_id, branches=sorted(ctx.branches))
        yield
    finally:
        ctx.readiness.set_not_ready("commands", "stopping")
        # Closing hands unacknowledged commands to the next replica, in order.
        for consumer in reversed(consumers):
            await consumer.close()
        await follower.stop()
