"""Queue engine figures: pure decide+apply, and rebuilding a day from the real stream.

    .venv/bin/python bench/engine.py [--tickets 10000] [--no-broker]

1. A busy day at Magion's six desks, in memory: every ticket issued, called
   and finished through `decide_and_apply`. Prints commands/s and events/s.
2. Replay in memory: decode + apply of that day's encoded log (events/s).
3. Replay from RabbitMQ: the day is published under a fresh branch id (to
   that branch's own stream, deleted afterwards), then read back from the
   day's start with `RabbitBus.read_events` into a fresh state with the
   shared projection, timed to the last seq. The raw floor beside it: the
   bus's bare stream client reading the same entries without parsing them
   (aio-pika itself reads under 10,000/s here).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import time
import uuid
from pathlib import Path

from services.routing.engine import CountingIds, decide_and_apply
from shared.bus import event_log_stream
from shared.bus.rabbit_stream import StreamConnection
from shared.config import BranchConfig, load_branch_file
from shared.config.schema import WEEKDAYS, StaffedHours, parse_hours
from shared.contract import (
    CallNext,
    Command,
    CommandData,
    CommandType,
    Event,
    IssueTicket,
    OpenCounter,
    decode_event,
    encode_event,
)
from shared.projection import BranchState, Verdict, apply

AMQP_URL = os.environ.get("QMS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MAGION = Path(__file__).resolve().parent.parent / "deploy" / "branches" / "magion.toml"
# A Thursday: Magion's longest staffed day.
OPENING = dt.datetime(2026, 12, 3, 0, 0, 1, tzinfo=dt.UTC)


def around_the_clock(config: BranchConfig) -> BranchConfig:
    """Magion's hall, staffed all day, so 10,000 tickets fit before closing."""
    hours = StaffedHours(staffed=parse_hours({day: ["00:00-24:00"] for day in WEEKDAYS}))
    return config.model_copy(update={"hours": hours})


def busy_day(config: BranchConfig, tickets: int) -> tuple[list[Event], float, int]:
    """Issue `tickets` tickets and serve them; return the log, seconds, commands."""
    state = BranchState.fresh(config, OPENING.date())
    ids, rng = CountingIds(), random.Random(7)
    services = [s.id for s in config.services]
    desks = [c.id for c in config.counters]
    able = {s: [c.id for c in config.counters if s in c.skills] for s in services}
    now = OPENING
    step = dt.timedelta(seconds=2.5)
    log: list[Event] = []
    commands = 0

    def run(kind: CommandType, data: CommandData) -> None:
        nonlocal commands
        command = Command(
            id=str(uuid.uuid4()), type=kind, branch=config.id, at=now, actor="bench", data=data
        )
        reply, events = decide_and_apply(
            state, command, config=config, now=now, ids=ids, writer="bench"
        )
        commands += 1
        log.extend(events)
        if not reply.ok and kind is CommandType.ISSUE_TICKET:
            raise SystemExit(f"issue refused: {reply.error}")

    started = time.perf_counter()
    for desk in desks:
        run(CommandType.OPEN_COUNTER, OpenCounter(counter=desk))
    for i in range(tickets):
        now += step
        service = rng.choice(services)
        run(CommandType.ISSUE_TICKET, IssueTicket(service=service))
        # Keep the queue short: a desk calls (and so finishes its last) as often as tickets come.
        run(CommandType.CALL_NEXT, CallNext(counter=able[service][i % len(able[service])]))
    return log, time.perf_counter() - started, commands


def replay_in_memory(config: BranchConfig, encoded: list[bytes]) -> tuple[float, float, float]:
    """Seconds of CPU for decode + apply of the day, then of decode alone and apply alone.

    CPU time of this process, not wall time: on a shared machine it is the
    figure other load moves least.
    """
    state = BranchState.fresh(config, OPENING.date())
    started = time.process_time()
    for body in encoded:
        apply(state, decode_event(body))
    both = time.process_time() - started
    assert state.seq == len(encoded), (state.seq, len(encoded))
    started = time.process_time()
    decoded = [decode_event(body) for body in encoded]
    decode = time.process_time() - started
    state = BranchState.fresh(config, OPENING.date())
    started = time.process_time()
    for event in decoded:
        apply(state, event)
    return both, decode, time.process_time() - started


async def replay_from_stream(config: BranchConfig, log: list[Event]) -> tuple[float, float]:
    from shared.bus.rabbit import RabbitBus

    branch = f"bench-{uuid.uuid4().hex[:8]}"
    moved = [e.model_copy(update={"branch": branch}) for e in log]
    bus = RabbitBus(AMQP_URL)
    await bus.start()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    for chunk in range(0, len(moved), 2000):
        await bus.publish_events(moved[chunk : chunk + 2000])
    target = moved[-1].seq

    state = BranchState.fresh(config.model_copy(update={}), OPENING.date())
    state.branch = branch
    started = time.perf_counter()
    reader = bus.read_events(since, frozenset({branch}))
    async for event in reader:
        if apply(state, event) is Verdict.APPLY and state.seq == target:
            break
    ours = time.perf_counter() - started
    await reader.close()
    await bus.close()

    raw = await raw_stream_read(since, len(moved), branch)
    await delete_stream(event_log_stream(branch))
    return ours, raw


async def delete_stream(name: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


async def raw_stream_read(since: dt.datetime, count: int, branch: str) -> float:
    """The broker floor: the bare stream client, counting and acking entries, no parsing."""
    done = asyncio.get_running_loop().create_future()
    prefix = f"{branch}.".encode()
    seen = 0
    connection: StreamConnection | None = None

    def on_delivery(tag: int, key: bytes, _offset: int | None, _body: bytes) -> None:
        nonlocal seen
        if tag % 200 == 0 and connection is not None:
            connection.ack(tag)
        if key.startswith(prefix):
            seen += 1
            if seen == count and not done.done():
                done.set_result(None)

    started = time.perf_counter()
    connection = await StreamConnection.open(AMQP_URL, on_delivery, heartbeat=10, name="bench")
    await connection.consume(
        event_log_stream(branch), prefetch=2000, arguments={"x-stream-offset": since}
    )
    await done
    elapsed = time.perf_counter() - started
    await connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--no-broker", action="store_true", help="skip the RabbitMQ replay")
    args = parser.parse_args()
    config = around_the_clock(load_branch_file(MAGION))

    log, seconds, commands = busy_day(config, args.tickets)
    print(f"day: {args.tickets} tickets, {commands} commands, {len(log)} events")
    print(
        f"decide+apply:        {commands / seconds:10,.0f} commands/s "
        f"({len(log) / seconds:,.0f} events/s)"
    )
    encoded = [encode_event(e) for e in log]
    in_memory, decode, applying = replay_in_memory(config, encoded)
    print(f"replay in memory:    {len(log) / in_memory:10,.0f} events/s (decode + apply, CPU)")
    print(f"  decode alone:      {len(log) / decode:10,.0f} events/s")
    print(f"  apply alone:       {len(log) / applying:10,.0f} events/s")
    if args.no_broker:
        return
    ours, raw = asyncio.run(replay_from_stream(config, log))
    print(f"replay from stream:  {len(log) / ours:10,.0f} events/s ({ours:.2f} s for the day)")
    print(
        f"raw stream read:     {len(log) / raw:10,.0f} events/s (bare client, no parsing; "
        f"ours is {raw / ours:.0%} of it)"
    )


if __name__ == "__main__":
    main()
