"""A generated day at the test branch: known waits and service times, written by the engine.

`plan_day` draws each ticket's life (issue time, wait, service time, outcome)
from a seeded random source; `run_day` drives the real engine
(`decide_and_apply` with a controlled clock) through it and returns the
events. Tests compute the expected figures from the plan, not from the events.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from services.routing.engine import CountingIds, decide_and_apply
from shared.config import BranchConfig
from shared.contract import (
    COMMAND_DATA,
    CallTicket,
    CancelTicket,
    Command,
    CommandData,
    CommandType,
    Event,
    Finish,
    IssueTicket,
    NoShow,
    OpenCounter,
    Recall,
    Transfer,
)
from shared.projection import BranchState, day_start

# Which desk serves which service in the plan.
DESKS = {"bibliotek": ["kvik-1"], "pas": ["service-2", "service-1"], "koerekort": ["service-1"]}


@dataclass
class Life:
    """One ticket's planned day. Times in seconds after local midnight."""

    service: str
    issue_s: int
    outcome: str  # served, no_show, cancelled, transferred
    wait_s: int | None = None  # issue -> first call
    serve_s: int | None = None  # service time (served, and transferred: at the 2nd desk)
    final_service: str | None = None
    ticket_id: str | None = None
    steps: list[tuple[int, int, str]] = field(default_factory=list)


def plan_day(seed: int = 7, per_desk: int = 14) -> list[Life]:
    rng = random.Random(seed)
    lives: list[Life] = []
    for desk, services in (
        ("kvik-1", ["bibliotek"]),
        ("service-1", ["pas", "koerekort"]),
        ("service-2", ["pas"]),
    ):
        cursor = 8 * 3600 + rng.randint(0, 600)
        for _ in range(per_desk):
            call = cursor + rng.randint(0, 300)
            wait = rng.randint(0, 2400)
            life = Life(rng.choice(services), call - wait, "served", wait_s=wait)
            if rng.random() < 0.15:
                life.outcome = "no_show"
                life.steps = [(call, 2, f"call {desk}"), (call + 20, 3, f"recall {desk}")]
                life.steps += [(call + 40, 3, f"recall {desk}"), (call + 60, 4, f"no_show {desk}")]
                cursor = call + 60
            else:
                life.serve_s = rng.randint(60, 1500)
                life.steps = [(call, 2, f"call {desk}"), (call + life.serve_s, 1, f"finish {desk}")]
                cursor = call + life.serve_s
            life.final_service = life.service
            lives.append(life)
    # Two who leave before their call, one at 12 o'clock sharp.
    for issue_s, leave_s in ((9 * 3600 + 5, 9 * 3600 + 900), (12 * 3600, 12 * 3600 + 60)):
        lives.append(
            Life(
                "koerekort",
                issue_s,
                "cancelled",
                final_service="koerekort",
                steps=[(leave_s, 1, "cancel -")],
            )
        )
    # One sent from KVIK to a passport desk, served there at the end of the day.
    moved = Life("bibliotek", 17 * 3600, "transferred", wait_s=180, serve_s=420)
    moved.final_service = "pas"
    moved.steps = [
        (17 * 3600 + 180, 2, "call kvik-1"),
        (17 * 3600 + 300, 3, "transfer_pas kvik-1"),
        (19 * 3600, 2, "call service-2"),
        (19 * 3600 + 420, 1, "finish service-2"),
    ]
    lives.append(moved)
    return lives


def run_day(config: BranchConfig, day: dt.date, lives: list[Life]) -> list[Event]:
    """Drive the engine through the plan; the events it wrote, in order."""
    state = BranchState.fresh(config, day)
    midnight = day_start(config, day)
    ids = CountingIds(prefix=uuid.uuid4().hex[:6])
    events: list[Event] = []

    def at(seconds: int) -> dt.datetime:
        return midnight + dt.timedelta(seconds=seconds)

    def run(seconds: int, data: CommandData) -> None:
        command = Command(
            id=str(uuid.uuid4()),
            type=_type(data),
            branch=config.id,
            at=at(seconds),
            actor="test",
            data=data,
        )
        reply, written = decide_and_apply(
            state, command, config=config, now=at(seconds), ids=ids, writer="test-engine"
        )
        assert reply.ok, (data, reply.error)
        events.extend(written)
        if isinstance(data, IssueTicket):
            assert reply.result is not None
            pending[(seconds, data.service)].pop(0).ticket_id = reply.result["ticket_id"]

    pending: dict[tuple[int, str], list[Life]] = {}
    # (second, order, life index, what): issue first at equal times, then finish, call, ...
    schedule: list[tuple[int, int, int, str]] = []
    for index, life in enumerate(lives):
        pending.setdefault((life.issue_s, life.service), []).append(life)
        schedule.append((life.issue_s, 0, index, "issue -"))
        schedule += [(second, order, index, what) for second, order, what in life.steps]
    for counter in config.counters:
        run(6 * 3600, OpenCounter(counter=counter.id))
    for second, _order, index, what in sorted(schedule):
        life = lives[index]
        verb, desk = what.split(" ")
        if verb == "issue":
            run(second, IssueTicket(service=life.service))
            continue
        assert life.ticket_id is not None
        if verb == "call":
            run(second, CallTicket(counter=desk, ticket_id=life.ticket_id))
        elif verb == "finish":
            run(second, Finish(counter=desk))
        elif verb == "recall":
            run(second, Recall(counter=desk))
        elif verb == "no_show":
            run(second, NoShow(counter=desk))
        elif verb == "cancel":
            run(second, CancelTicket(ticket_id=life.ticket_id))
        elif verb == "transfer_pas":
            run(second, Transfer(counter=desk, service="pas", position="back"))
    return events


def _type(data: CommandData) -> CommandType:
    return next(kind for kind, model in COMMAND_DATA.items() if isinstance(data, model))
