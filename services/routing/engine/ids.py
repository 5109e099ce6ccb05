"""Where fresh ids come from. Injected into `decide`, which never makes its own.

A ticket id is the only key to a ticket (phone page, status API), so the
production source makes it unguessable. Event ids only need to be unique.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Protocol

from shared.contract.events import CODE_ALPHABET, CODE_LENGTH


class IdSource(Protocol):
    def ticket_id(self) -> str: ...

    def event_id(self) -> str: ...

    def appointment_id(self) -> str: ...

    def appointment_code(self) -> str: ...


class RandomIds:
    """Production: 128 random bits per ticket id (22 url-safe characters)."""

    def ticket_id(self) -> str:
        return secrets.token_urlsafe(16)

    def event_id(self) -> str:
        return str(uuid.uuid4())

    def appointment_id(self) -> str:
        """The key to manage a booking: as unguessable as a ticket id."""
        return secrets.token_urlsafe(16)

    def appointment_code(self) -> str:
        """8 characters without look-alikes: about 40 bits, read out on the phone."""
        return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class CountingIds:
    """Deterministic ids for tests, benchmarks and replays: t1, t2, ... / e1, e2, ... / a1, ..."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._tickets = 0
        self._events = 0
        self._appointments = 0
        self._codes = 0

    def ticket_id(self) -> str:
        self._tickets += 1
        return f"{self._prefix}t{self._tickets}"

    def event_id(self) -> str:
        self._events += 1
        return f"{self._prefix}e{self._events}"

    def appointment_id(self) -> str:
        self._appointments += 1
        return f"{self._prefix}a{self._appointments}"

    def appointment_code(self) -> str:
        """22222222, 22222223, ...: the count written in the code alphabet."""
        self._codes += 1
        n, digits = self._codes, []
        for _ in range(CODE_LENGTH):
            n, digit = divmod(n, len(CODE_ALPHABET))
            digits.append(CODE_ALPHABET[digit])
        return "".join(reversed(digits))
