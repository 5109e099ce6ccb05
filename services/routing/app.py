"""The routing service's application.

It consumes every configured branch's command queue (as one of possibly
several replicas: RabbitMQ keeps one active per branch) and is ready once all
consumers are registered. Commands go to `handler.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.routing.handler import make_handler
from shared.bus import CommandConsumer
from shared.runtime import CONTEXT_KEY, ServiceContext, base_app

CONSUMERS_KEY = web.AppKey("routing.consumers", list[CommandConsumer])


def create_app(ctx: ServiceContext) -> web.Application:
    app = base_app(ctx)
    app.cleanup_ctx.append(consume_commands)
    return app


async def consume_commands(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CONTEXT_KEY]
    ctx.readiness.require("commands", "not consuming commands yet")
    handler = make_handler(ctx)
    consumers: list[CommandConsumer] = []
    app[CONSUMERS_KEY] = consumers
    try:
        for branch_id in ctx.branches:
            consumers.append(await ctx.bus.consume_commands(branch_id, handler))
        ctx.readiness.set_ready("commands", f"consuming commands of {len(consumers)} branch(es)")
        yield
    finally:
        ctx.readiness.set_not_ready("commands", "stopping")
        # Closing hands unacknowledged commands to the next replica, in order.
        for consumer in reversed(consumers):
            await consumer.close()
