"""Where fresh ids come from. Injected into `decide`, which never makes its own.

A ticket id is the only key to a ticket (phone page, status API), so the
production source makes it unguessable. Event ids only need to be unique.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Protocol


class IdSource(Protocol):
    def ticket_id(self) -> str: ...

    def event_id(self) -> str: ...


class RandomIds:
    """Production: 128 random bits per ticket id (22 url-safe characters)."""

    def ticket_id(self) -> str:
        return secrets.token_urlsafe(16)

    def event_id(self) -> str:
        return str(uuid.uuid4())


class CountingIds:
    """Deterministic ids for tests, benchmarks and replays: t1, t2, ... / e1, e2, ..."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._tickets = 0
        self._events = 0

    def ticket_id(self) -> str:
        self._tickets += 1
        return f"{self._prefix}t{self._tickets}"

    def event_id(self) -> str:
        self._events += 1
        return f"{self._prefix}e{self._events}"
