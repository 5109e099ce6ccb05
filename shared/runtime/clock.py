"""The one clock of the services: the kit reads the time here and nowhere else.

A service gets its clock from its `ServiceContext` (`ctx.clock`); a test that
needs a fixed time passes its own to `ServiceContext.create(..., clock=...)`.
The pure engine and projection never read it: `now` is an argument there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Now, aware, in UTC: what every service runs with."""
    return dt.datetime.now(dt.UTC)
