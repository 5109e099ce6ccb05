"""What `decide` returns, and the refusal codes it can give."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.contract.commands import Reply
from shared.contract.events import Event
from shared.errors import QmsError


class Refusal(StrEnum):
    """Business refusals: `{"ok": false, "error": {"code": ...}}`; nothing is written."""

    WRONG_BRANCH = "wrong_branch"  # the command names another branch than this queue's
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_TICKET = "unknown_ticket"
    UNKNOWN_COUNTER = "unknown_counter"
    CLOSED = "closed"  # outside staffed hours, or the day is closed
    WOULD_EXCEED_CLOSING = "would_exceed_closing"
    COUNTER_CLOSED = "counter_closed"  # any desk action on a desk that is not open
    COUNTER_BUSY = "counter_busy"  # closing a desk that still holds a ticket
    NO_SERVICES = "no_services"  # opening a desk with an empty service list
    NOT_SKILLED = "not_skilled"  # opening a desk for a service outside its skills
    NO_WAITING_TICKET = "no_waiting_ticket"
    TICKET_NOT_WAITING = "ticket_not_waiting"  # call_ticket on a ticket not waiting
    NO_CURRENT_TICKET = "no_current_ticket"  # recall/start/finish/... at an idle desk
    ALREADY_SERVING = "already_serving"  # recall/start/no_show once service started
    MAX_RECALLS_REACHED = "max_recalls_reached"
    RECALLS_REMAINING = "recalls_remaining"  # no_show before max_recalls recalls
    TICKET_IN_SERVICE = "ticket_in_service"  # cancelling a ticket being served
    TICKET_ENDED = "ticket_ended"  # cancelling a finished/no-show/cancelled ticket
    # Appointments (docs/queue-rules.md, "Appointments")
    NOT_BOOKABLE = "not_bookable"  # the service (or the branch) takes no bookings
    OUTSIDE_HOURS = "outside_hours"  # no slot of the service starts then
    TOO_FAR_AHEAD = "too_far_ahead"  # past today + horizon_days
    IN_THE_PAST = "in_the_past"  # the slot has started
    SLOT_FULL = "slot_full"  # `seats` bookings hold it
    UNKNOWN_APPOINTMENT = "unknown_appointment"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_CHECKED_IN = "appointment_checked_in"  # cancelling a booking checked in
    TOO_EARLY = "too_early"  # check-in before start - early_min (details.opens_at)
    TOO_LATE = "too_late"  # check-in after start + late_min, or cancelling a missed booking
    # Managers (docs/queue-rules.md, "Pausing a service")
    PAUSED = "paused"  # issue_ticket for a paused service (details.until)
    NOT_PAUSED = "not_paused"  # resume_service of a service that is not paused
    EXPIRED = "expired"  # the command waited in the queue past COMMAND_TTL_S
    # A command id done today, sent again with other data: an Idempotency-Key
    # reused for another request (docs/queue-rules.md).
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class Decision:
    """Either events to write, or a reply to send now.

    - refusal: no events, `reply` is the failure;
    - a command id already seen today: no events, `reply` is its first result
      marked `replayed`, or the refusal `idempotency_key_reused` when the
      command asks for something else than what that id did;
    - otherwise: `events` to publish, `reply` is None. Once the events have
      been applied to the state, `reply_for(state, command, ...)` gives the
      answer; any replica answers a retry with the same.
    """

    events: tuple[Event, ...] = ()
    reply: Reply | None = None

    @property
    def refused(self) -> bool:
        return self.reply is not None and not self.reply.ok

    @classmethod
    def refuse(cls, code: Refusal, message: str, details: dict[str, Any] | None = None) -> Decision:
        return cls(reply=Reply.failure(code.value, message, details))


class StateMismatch(QmsError):
    """`decide` was handed the state of another branch or day: a bug in the caller.

    At local midnight the caller starts a fresh state for the new day (read
    from the log) before deciding; the engine never guesses.
    """
