"""The single-writer protocol (docs/architecture.md, "The single writer").

For each command: decide on the state the log reader built, publish the
events with confirms, wait until our own reader has applied them, then hand
back the reply (the bus acknowledges the command, then sends it). The state
changes only through the reader. If another writer took those seq numbers
first, our events are skipped by every reader, and we decide again on the
state that now holds theirs: the fence against a stale replica waking up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog

from services.routing.engine import IdSource, decide, reply_for
from shared.bus import Bus, CommandDelivery
from shared.contract import Command, Reply
from shared.runtime.live import LiveBranch, read_up_to_now

# Deciding again only helps while another writer is racing us; more than a
# few rounds means something else is wrong, and the client retries anyway.
MAX_ROUNDS = 5
log = structlog.get_logger(__name__)


class FencedWriter:
    def __init__(
        self,
        bus: Bus,
        lives: dict[str, LiveBranch],
        *,
        writer: str,
        ids: IdSource,
        clock: Callable[[], dt.datetime],
        read_timeout_s: float = 10.0,
    ) -> None:
        self._bus = bus
        self._lives = lives
        self._writer = writer
        self._ids = ids
        self._clock = clock
        self._read_timeout_s = read_timeout_s
        self._synced: dict[str, int] = {}

    async def handle(self, delivery: CommandDelivery) -> Reply:
        command = delivery.command
        live = self._lives.get(command.branch)
        if live is None:
            return Reply.failure("unknown_branch", f"no branch {command.branch!r} here")
        if self._synced.get(command.branch) != delivery.subscription:
            # Newly active (start-up, failover, reconnect): catch up with
            # everything written before us, whoever wrote it.
            if not await self.sync(live):
                return _unavailable("the event log did not answer in time")
            self._synced[command.branch] = delivery.subscription
        for round_ in range(1, MAX_ROUNDS + 1):
            reply = await self._one_round(live, command)
            if reply is not None:
                return reply
            log.warning(
                "another writer took our seq numbers; deciding again",
                branch=command.branch,
                command_id=command.id,
                round=round_,
            )
        return _unavailable("the queue is busy with another writer; try again")

    async def sync(self, live: LiveBranch) -> bool:
        return await read_up_to_now(
            self._bus, live, self._writer, self._read_timeout_s, clock=self._clock
        )

    async def _one_round(self, live: LiveBranch, command: Command) -> Reply | None:
        now = self._clock()
        last = live.state.last_event_at
        if last is not None and last > now:
            # Another replica's clock runs ahead of ours: never decide in the
            # log's past (at midnight that would be yesterday's state).
            now = last
        state = live.state_for(now)
        config = live.config
        decision = decide(
            state, command, config=config, now=now, ids=self._ids, writer=self._writer
        )
        if decision.reply is not None:
            return decision.reply
        last_seq = decision.events[-1].seq or 0
        day = state.day
        await self._bus.publish_events(decision.events)
        caught_up = await live.wait_until(
            lambda s: s.day != day or s.seq >= last_seq, self._read_timeout_s
        )
        if not caught_up:
            return _unavailable("our events were not read back in time")
        if live.state.day != day:
            return None
        # Whoever's events hold these seq numbers, the state now says what this
        # command did; nothing recorded means ours lost and must be decided again.
        return reply_for(live.state, command.id, config, now)


def _unavailable(message: str) -> Reply:
    return Reply.failure("unavailable", message)
