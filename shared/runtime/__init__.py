"""Running services: the context they are given, start-up and shutdown, event following.

Nothing here connects or listens at import time; every connection belongs to
a `ServiceContext` made by whoever starts the service.
"""

from shared.runtime.context import CONTEXT_KEY, ServiceContext, base_app
from shared.runtime.follow import EventFollower
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
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "CreateApp",
    "EventFollower",
    "RunningService",
    "ServiceContext",
    "base_app",
    "load_config",
    "on_stop_signals",
    "report_config_error",
    "run_service",
    "shutdown",
    "start_service",
]
