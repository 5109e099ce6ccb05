"""The routing engine's functional core: `decide` commands into events.

State comes from `shared.projection` (the one definition of branch state);
this package adds the rules that turn a command into events or a refusal.
No I/O library is imported here and no clock or randomness is read: the shell
passes `now`, an id source and its writer name.
"""

from services.routing.engine.batch import Decided, decide_batch
from services.routing.engine.decide import decide, decide_and_apply
from services.routing.engine.decision import Decision, Refusal, StateMismatch
from services.routing.engine.ids import CountingIds, IdSource, RandomIds
from services.routing.engine.results import reply_for

__all__ = [
    "CountingIds",
    "Decided",
    "Decision",
    "IdSource",
    "RandomIds",
    "Refusal",
    "StateMismatch",
    "decide",
    "decide_and_apply",
    "decide_batch",
    "reply_for",
]
