"""Small builders of valid events and commands for bus tests."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.contract import CallNext, Command, CounterClosed, Event
from tests.support.events import command as support_command
from tests.support.events import event as support_event
from tests.support.events import take

__all__ = ["command", "created_branches", "event", "now", "take", "unique_branch"]

# Branch ids handed out in the running test; its fixture deletes their queues.
created_branches: list[str] = []


def unique_branch() -> str:
    branch = f"t-{uuid.uuid4().hex[:12]}"
    created_branches.append(branch)
    return branch


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def event(branch: str, seq: int) -> Event:
    return support_event(branch, seq, CounterClosed(counter=f"desk-{seq}"))


def command(branch: str, counter: str = "desk-1") -> Command:
    return support_command(branch, CallNext(counter=counter), actor="tester")
