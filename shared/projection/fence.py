"""Admission by seq: which events a branch's state (or an earlier day's fence) takes.

`admit` says whether `apply` would apply an event, and if not, why (the
`Verdict`); `refused` remembers a rival's decision as lost, so the rest of it
is rejected too (docs/architecture.md, "The single writer"). Split from
`apply` so the fence reads as one rule in one place.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from shared.contract.envelope import EventHead
from shared.contract.events import Event, EventType
from shared.projection.calendar import DayFence
from shared.projection.state import BranchState


class Verdict(StrEnum):
    APPLY = "apply"  # the next event of this state: applied
    MARKER = "marker"  # engine.sync: not a domain event
    OTHER_BRANCH = "other_branch"
    OTHER_DAY = "other_day"
    OLD_SEQ = "old_seq"  # seq <= state.seq: a redelivery, or a stale writer's event
    SEQ_GAP = "seq_gap"  # seq > state.seq + 1: something before it is missing
    LOST_RACE = "lost_race"  # the rest of a decision whose first events were rejected
    # An earlier day's event, admitted by that day's fence: its appointment
    # facts went into the calendar, the rest of it nowhere (apply_earlier).
    EARLIER_DAY = "earlier_day"


# Members as module constants for the checks every event of a replay makes:
# in Python 3.11 `Verdict.APPLY` is a lookup through the enum's metaclass,
# about ten times the cost of a global's.
APPLY = Verdict.APPLY
_MARKER_TYPE = EventType.ENGINE_SYNC


def _decision_key(event: Event | EventHead) -> tuple[str, dt.datetime] | None:
    # A decision is everything a writer decided at one `at`: one command, or a
    # batch of them, each decided on the state after the one before. Once one
    # of its events loses its seq to a rival, the rest of it must go too, or a
    # later command of the batch would land on the rival's state. A writer
    # that decides again does so at a later `at`.
    if event.command_id is None:
        return None
    return (event.writer, event.at)


def admit(state: BranchState | DayFence, event: Event | EventHead) -> Verdict:
    """Whether `apply` would apply `event` to `state`, and if not, why.

    An `EventHead` (an event read for its envelope only) is admitted alike.
    """
    # Compared by type tag: isinstance on a pydantic model class is slow, and
    # this runs for every event of a replay.
    if event.seq is None or event.type is _MARKER_TYPE:
        return Verdict.MARKER
    if event.branch != state.branch:
        return Verdict.OTHER_BRANCH
    if event.day != state.day:
        return Verdict.OTHER_DAY
    if state.lost_decisions and _decision_key(event) in state.lost_decisions:
        return Verdict.LOST_RACE
    if event.seq <= state.seq:
        return Verdict.OLD_SEQ
    if event.seq != state.seq + 1:
        return Verdict.SEQ_GAP
    return APPLY


# A new event whose seq is taken means another writer's events hold it: the
# decision that wrote it lost as a whole. (A gap is no rival: a writer only
# numbers from a state it read, so a gap means the log lost something.)
_RIVAL = frozenset({Verdict.OLD_SEQ})


def accepts(state: BranchState, event: Event) -> bool:
    return admit(state, event) is APPLY


def refused(state: BranchState | DayFence, event: Event | EventHead, verdict: Verdict) -> Verdict:
    """An event `admit` refused: remember a rival's decision as lost (the rest of it goes too)."""
    if verdict in _RIVAL and event.id not in state.applied_ids:
        key = _decision_key(event)
        if key is not None:
            state.lost_decisions.add(key)
    return verdict
