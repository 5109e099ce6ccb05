"""The projection of events into branch state: the one definition of the rules.

The routing engine, the display and the staff read model all build their state
with `BranchState.fresh(config, day)` and `apply(state, event)`; positions and
estimates come from `estimates` so every screen shows the same figure.
"""

from shared.projection.admission import runs_past_closing, staffed_window
from shared.projection.apply import (
    SERVICE_TIME_OUTLIER_FACTOR,
    SERVICE_TIME_WEIGHT,
    Verdict,
    accepts,
    admit,
    apply,
    apply_all,
)
from shared.projection.estimates import (
    Capacity,
    Estimate,
    ServiceFigures,
    capacity,
    estimate_for,
    estimate_new,
    estimates,
    service_figures,
    waiting_by_area,
)
from shared.projection.hours import (
    day_end,
    day_start,
    elapsed_s,
    is_staffed,
    local_day,
    local_time,
    next_opening,
    staffed_ranges,
    staffed_until,
)
from shared.projection.ordering import (
    in_call_order,
    next_ticket,
    rank_key,
    target_seconds,
    waiting_in_call_order,
)
from shared.projection.state import (
    AT_DESK,
    ENDED,
    BranchState,
    CommandRecord,
    CounterState,
    Ticket,
    TicketStatus,
)

__all__ = [
    "AT_DESK",
    "ENDED",
    "SERVICE_TIME_OUTLIER_FACTOR",
    "SERVICE_TIME_WEIGHT",
    "BranchState",
    "Capacity",
    "CommandRecord",
    "CounterState",
    "Estimate",
    "ServiceFigures",
    "Ticket",
    "TicketStatus",
    "Verdict",
    "accepts",
    "admit",
    "apply",
    "apply_all",
    "capacity",
    "day_end",
    "day_start",
    "elapsed_s",
    "estimate_for",
    "estimate_new",
    "estimates",
    "in_call_order",
    "is_staffed",
    "local_day",
    "local_time",
    "next_opening",
    "next_ticket",
    "rank_key",
    "runs_past_closing",
    "service_figures",
    "staffed_ranges",
    "staffed_until",
    "staffed_window",
    "target_seconds",
    "waiting_by_area",
    "waiting_in_call_order",
]
