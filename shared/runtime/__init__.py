"""Running services: the service kit (spec, context, clock), start-up and shutdown, following.

Nothing here connects or listens at import time; every connection belongs to
a `ServiceContext` made by whoever starts the service.
"""

from shared.runtime.clock import Clock, utc_now
from shared.runtime.context import CONTEXT_KEY, ServiceContext, base_app
from shared.runtime.follow import EventFollower
from shared.runtime.kit import FOLLOWER_KEY, ServiceSpec
from shared.runtime.serve import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    CreateApp,
    RunningService,
    load_config,
    on_stop_signals,
    report_config_error,
    run_service,
    shutdown,
    start_service,
)

__all__ = [
    "CONTEXT_KEY",
    "FOLLOWER_KEY",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "Clock",
    "CreateApp",
    "EventFollower",
    "RunningService",
    "ServiceContext",
    "ServiceSpec",
    "base_app",
    "load_config",
    "on_stop_signals",
    "report_config_error",
    "run_service",
    "shutdown",
    "start_service",
    "utc_now",
]
