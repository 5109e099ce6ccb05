"""Sending commands to a branch's engine from an HTTP handler (ticketing, staff).

One place maps the engine's refusal codes to HTTP statuses, so the citizen
API and the staff API answer alike: unknown things are 404, business
conflicts 409, bad arguments 422, and no answer from routing 503 with
Retry-After. Every refusal becomes a problem+json document with the code.
A command id reused for another request is 422 `idempotency_key_reused`,
naming the header the id came from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from shared.bus.base import Bus
from shared.contract import COMMAND_DATA, Command, CommandData, CommandType
from shared.errors import BusError, BusTimeout
from shared.http.idempotency import IDEMPOTENCY_HEADER
from shared.http.problem import ProblemError
from shared.runtime.clock import Clock, utc_now

NOT_FOUND = frozenset(
    {
        "unknown_service",
        "unknown_ticket",
        "unknown_counter",
        "unknown_branch",
        "no_waiting_ticket",
        "unknown_appointment",
    }
)
# Requests no moment would make right: a desk's skills, a service that takes no
# bookings, a start that is no slot's. (A full slot, a check-in too early or
# too late, a start in the past or beyond the horizon: 409, like `closed`.)
UNPROCESSABLE = frozenset(
    {
        "no_services",
        "not_skilled",
        "wrong_branch",
        "idempotency_key_reused",
        "not_bookable",
        "outside_hours",
    }
)
UNAVAILABLE = frozenset({"unavailable", "not_ready"})
RETRY_AFTER_S = 2


def refusal_status(code: str) -> int:
    if code in NOT_FOUND:
        return 404
    if code in UNPROCESSABLE:
        return 422
    if code in UNAVAILABLE:
        return 503
    if code == "internal_error":
        return 500
    return 409  # closed, would_exceed_closing, counter_closed, slot_full, too_early, ...


def refusals(*codes: str) -> dict[int, list[str]]:
    """What a route answers when it sends a command the engine may refuse with `codes`.

    For its API description: those codes by their status, and what any
    command may meet: no answer in time (503 `unavailable`) or a wait in the
    queue past its time to live (409 `expired`).
    """
    found: dict[int, list[str]] = {}
    for code in (*codes, "expired", "unavailable"):
        found.setdefault(refusal_status(code), []).append(code)
    return found


@dataclass(frozen=True)
class Answer:
    """The engine's result, and whether it is a retry's (the first result again)."""

    result: dict[str, Any]
    replayed: bool = False


class CommandClient:
    """Sends commands over the bus's RPC and returns answers or raises ProblemError."""

    def __init__(
        self,
        bus: Bus,
        *,
        timeout_s: float = 2.0,
        attempts: int = 3,
        clock: Clock = utc_now,
    ) -> None:
        self._bus = bus
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._clock = clock

    async def send(
        self,
        branch: str,
        data: CommandData,
        *,
        actor: str,
        command_id: str | None = None,
    ) -> Answer:
        """The command's answer; a refusal or no answer raises ProblemError.

        `command_id` makes a retried request the same command (Idempotency-Key).
        """
        command = Command(
            id=command_id or str(uuid.uuid4()),
            type=_command_type(data),
            branch=branch,
            at=self._clock(),
            actor=actor,
            data=data,
        )
        try:
            reply = await self._bus.request(command, self._timeout_s, self._attempts)
        except BusTimeout as exc:
            raise _unavailable("the queue engine did not answer in time") from exc
        except BusError as exc:
            raise _unavailable("the message bus is not available") from exc
        if reply.ok:
            return Answer(reply.result or {}, reply.replayed)
        assert reply.error is not None  # Reply guarantees an error when not ok
        error = reply.error
        status = refusal_status(error.code)
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        if error.code == "idempotency_key_reused":
            raise ProblemError(
                status,
                error.code,
                f"this {IDEMPOTENCY_HEADER} was used for another request; "
                "use a fresh key per request",
                {**(error.details or {}), "field": IDEMPOTENCY_HEADER},
            )
        raise ProblemError(status, error.code, error.message, error.details, headers)


def _unavailable(detail: str) -> ProblemError:
    return ProblemError(503, "unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_S)})


_TYPES = {model: kind for kind, model in COMMAND_DATA.items()}


def _command_type(data: CommandData) -> CommandType:
    return _TYPES[type(data)]
