"""The single-writer protocol (docs/architecture.md, "The single writer"), with group commit.

The commands waiting for a branch are decided together: in order, each on
the state after the previous ones' events (`decide_batch`, on a scratch copy
of the state the log reader built). All their events are published in one
batch with confirms, followed by a sync marker; once our own reader has read
the marker, it has applied (or skipped) every event of the batch, and the
replies go back (the bus acknowledges the commands, then sends them). The
state changes only through the reader.

If another writer took those seq numbers first, our events are skipped by
every reader from the first one that lost on (the fence rejects the rest of a
losing batch whole), and the commands from there on are decided again on the
state that now holds theirs: the fence against a stale replica waking up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence

import structlog

from services.routing.engine import Decided, IdSource, decide_batch, reply_for
from shared.bus import Bus, CommandDelivery
from shared.contract import Command, Reply
from shared.runtime.live import LiveBranch, read_up_to_now

# Deciding again only helps while another writer is racing us; more than a
# few rounds means something else is wrong, and the client retries anyway.
MAX_ROUNDS = 5
_TICK = dt.timedelta(microseconds=1)
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
        (reply,) = await self.handle_batch([delivery])
        return reply

    async def handle_batch(self, deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        """One reply per delivery, in order. Each branch's commands are a batch of their own."""
        by_branch: dict[str, list[int]] = {}
        for index, delivery in enumerate(deliveries):
            by_branch.setdefault(delivery.command.branch, []).append(index)
        answered: dict[int, Reply] = {}
        for branch, indices in by_branch.items():
            answers = await self._branch_batch(branch, [deliveries[i] for i in indices])
            answered.update(zip(indices, answers, strict=True))
        return [answered[index] for index in range(len(deliveries))]

    async def sync(self, live: LiveBranch) -> bool:
        return await read_up_to_now(
            self._bus, live, self._writer, self._read_timeout_s, clock=self._clock
        )

    async def _branch_batch(self, branch: str, deliveries: list[CommandDelivery]) -> list[Reply]:
        live = self._lives.get(branch)
        if live is None:
            return [Reply.failure("unknown_branch", f"no branch {branch!r} here")] * len(deliveries)
        subscription = max(d.subscription for d in deliveries)
        if self._synced.get(branch) != subscription:
            # Newly active (start-up, failover, reconnect): catch up with
            # everything written before us, whoever wrote it.
            if not await self.sync(live):
                return [_unavailable("the event log did not answer in time")] * len(deliveries)
            self._synced[branch] = subscription
        commands = [d.command for d in deliveries]
        replies: list[Reply] = []
        for round_ in range(1, MAX_ROUNDS + 1):
            replies += await self._one_round(live, commands[len(replies) :])
            if len(replies) == len(commands):
                return replies
            log.warning(
                "another writer took our seq numbers; deciding again",
                branch=branch,
                command_id=commands[len(replies)].id,
                commands=len(commands) - len(replies),
                round=round_,
            )
        busy = _unavailable("the queue is busy with another writer; try again")
        return replies + [busy] * (len(commands) - len(replies))

    async def _one_round(self, live: LiveBranch, commands: list[Command]) -> list[Reply]:
        """Replies to the first commands whose outcome is settled: all, unless we lost a race."""
        now = self._clock()
        last = live.state.last_event_at
        if last is not None and last >= now:
            # Never decide in the log's past (at midnight that would be
            # yesterday's state), nor at the `at` of an earlier decision: the
            # fence knows a decision by (writer, at), so each must be later
            # than everything in the log, even when another replica's clock
            # runs ahead of ours or ours has not moved since our last batch.
            now = last + _TICK
        state = live.state_for(now)
        day = state.day
        decided = decide_batch(
            state, commands, config=live.config, now=now, ids=self._ids, writer=self._writer
        )
        events = [event for one in decided for event in one.events]
        if not events:
            return [one.reply for one in decided]
        # The marker comes back after every event of the batch, applied or skipped.
        marker, arrived = live.marker(now, self._writer)
        try:
            await self._bus.publish_events([*events, marker])
            await asyncio.wait_for(arrived, self._read_timeout_s)
        except TimeoutError:
            return _not_read_back(decided)
        finally:
            live.forget_marker(marker)
        if live.state.day != day:
            return []
        return self._settled(live, decided, now)

    def _settled(self, live: LiveBranch, decided: list[Decided], now: dt.datetime) -> list[Reply]:
        """Replies up to the first command whose events another writer's took the place of.

        Up to there the log holds exactly what the batch decided, so each reply
        is the one the batch computed. That command itself: whoever's events
        now hold its result (a rival may have decided it too) answer it, else it
        is decided again, with everything after it (decided on a state that
        never was).
        """
        state = live.state
        replies: list[Reply] = []
        for one in decided:
            if not one.events or one.events[-1].id in state.applied_ids:
                replies.append(one.reply)
                continue
            theirs = reply_for(state, one.command.id, live.config, now)
            if theirs is not None:
                replies.append(theirs)
            break
        return replies


def _not_read_back(decided: list[Decided]) -> list[Reply]:
    """No marker in time: what was decided on the log's state stands, the rest is 503."""
    replies: list[Reply] = []
    for one in decided:
        if one.events:
            break
        replies.append(one.reply)
    late = _unavailable("our events were not read back in time")
    return replies + [late] * (len(decided) - len(replies))


def _unavailable(message: str) -> Reply:
    return Reply.failure("unavailable", message)
