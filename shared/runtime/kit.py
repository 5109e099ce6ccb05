"""The service kit: a service declared as a `ServiceSpec`, built and run one way.

A spec names the service, how its options are read from the environment, the
routes it adds, whether it follows the event log, and what runs while it
runs. `create_app` builds every service's application alike: the base app
(health, metrics, problem+json, the WebSocket registry, the request's
client address and id, JSON-only bodies, the browser headers with the
service's own `connect_sources` and, for a `framable` service,
`QMS_FRAME_ANCESTORS`), its options under
the service's key, the one follower under `FOLLOWER_KEY`, the service's own
parts (`setup`, nothing connects there) and routes, and one `cleanup_ctx`
that starts the follower, enters each `running` part in order and leaves
them in reverse before the follower stops. The clock is the context's
(`ctx.clock`), so a test that needs a fixed time injects it there.

Each service has the same files (docs/services.md, "Service kit"):
`__main__.py` (runs the spec), `app.py` (the spec), `options.py` (its options
from the environment), `keys.py` (its typed app keys and parts), handlers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web

from shared.errors import ConfigError
from shared.http.security import BrowserPolicy, ConnectSources
from shared.logs import configure_logging, get_logger, log_format_from_env
from shared.runtime.context import ServiceContext, base_app
from shared.runtime.follow import EventFollower
from shared.runtime.serve import EXIT_CONFIG, report_config_error, run_service

Options = TypeVar("Options")
AddRoutes = Callable[[web.Application], None]
# Something that runs while the app runs: started on entry, stopped on exit.
Running = Callable[[web.Application], AbstractAsyncContextManager[None]]

FOLLOWER_KEY = web.AppKey("qms.follower", EventFollower)


@dataclass(frozen=True)
class ServiceSpec(Generic[Options]):
    name: str
    options: Callable[[Mapping[str, str]], Options]
    options_key: web.AppKey[Options]
    routes: Sequence[AddRoutes]
    follows_log: bool = False
    # The service's parts under its keys, once the options and follower are in the app.
    setup: AddRoutes | None = None
    running: Sequence[Running] = ()
    # The follower's writer name (its engine.sync markers, and routing's events).
    writer: Callable[[], str] | None = None
    # What the service's pages may connect to besides their own origin (CSP connect-src).
    connect_sources: ConnectSources | None = None
    # Its pages may be framed by the origins in QMS_FRAME_ANCESTORS (the hall screens).
    framable: bool = False

    def create_app(self, ctx: ServiceContext, options: Options | None = None) -> web.Application:
        """`options` None: read from the environment."""
        framers = ctx.settings.frame_ancestors if self.framable else ()
        app = base_app(ctx, BrowserPolicy(framers, self.connect_sources))
        app[self.options_key] = options if options is not None else self.options(os.environ)
        if self.follows_log:
            writer = self.writer() if self.writer is not None else None
            app[FOLLOWER_KEY] = EventFollower(ctx, writer=writer)
        if self.setup is not None:
            self.setup(app)
        for add_routes in self.routes:
            add_routes(app)
        app.cleanup_ctx.append(self._lifetime)
        return app

    async def _lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """The follower and the running parts live exactly as long as the app runs."""
        async with contextlib.AsyncExitStack() as stack:
            if self.follows_log:
                follower = app[FOLLOWER_KEY]
                follower.start()
                stack.push_async_callback(follower.stop)
            for running in self.running:
                await stack.enter_async_context(running(app))
            yield

    def main(self) -> int:
        """`python -m services.<name>`: a bad option stops with one line and exit 2."""
        try:
            self.options(os.environ)
        except ConfigError as exc:
            configure_logging(self.name, log_format_from_env(os.environ))
            report_config_error(get_logger(self.name), exc)
            return EXIT_CONFIG
        return run_service(self.name, self.create_app)
