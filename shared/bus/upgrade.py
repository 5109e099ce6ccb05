"""Copy the shared event stream of an earlier version into one stream per branch.

    python -m shared.bus.upgrade [--amqp-url URL] [--dry-run] [--keep]

Earlier versions wrote every branch's events to one stream, `qms.events.log`.
Readers now read `qms.events.log.{branch}` only, so without this copy a
branch would start its day (and its statistics) without what the old stream
holds, and the engine would number tickets from 1 again. Run it once, with
the services stopped:

1. the old stream is unbound from `qms.events`, so nothing new lands there;
2. it is read from its first entry to its end (no entry for `IDLE_S`), and
   every event is published again to its branch's stream, in order (sync
   markers and unparseable entries are left out: no reader needs them);
3. the old stream is deleted (kept with `--keep`).

Copied entries carry the time of the copy, not their own: the first day
after the upgrade, a reader starting at local midnight reads the branch's
copied history once, and a past day's statistics read from the copy's start.
Both are correct (readers go by each event's own day), only slower. Run
twice, the second copy only adds duplicates, which readers skip by
(branch, seq).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator

import aio_pika

from shared.bus.base import EVENTS_EXCHANGE, LEGACY_EVENT_LOG_STREAM
from shared.bus.rabbit import RabbitBus
from shared.bus.rabbit_stream import StreamConnection
from shared.config.settings import DEFAULT_AMQP_URL, amqp_url_from_env
from shared.contract import Event, EventType, decode_event
from shared.errors import ConfigError, MessageError

IDLE_S = 2.0
BATCH = 1000
PREFETCH = 2000


def _copyable(bodies: list[bytes]) -> list[Event]:
    events: list[Event] = []
    for body in bodies:
        try:
            event = decode_event(body)
        except (MessageError, ValueError):
            continue
        if event.type is not EventType.ENGINE_SYNC:
            events.append(event)
    return events


async def read_legacy(url: str) -> AsyncIterator[list[Event]]:
    """The old stream's events, batch by batch in its order, up to its end (idle `IDLE_S`)."""
    bodies: list[bytes] = []
    more = asyncio.Event()
    connection: StreamConnection | None = None

    def on_delivery(tag: int, _key: bytes, _offset: int | None, body: bytes) -> None:
        bodies.append(body)
        if connection is not None and tag % 500 == 0:
            connection.ack(tag)  # the credit: the broker sends PREFETCH beyond the last ack
        more.set()

    connection = await StreamConnection.open(url, on_delivery, heartbeat=10, name="qms-upgrade")
    try:
        await connection.consume(
            LEGACY_EVENT_LOG_STREAM, prefetch=PREFETCH, arguments={"x-stream-offset": "first"}
        )
        while True:
            try:
                async with asyncio.timeout(IDLE_S):
                    await more.wait()
            except TimeoutError:
                return
            more.clear()
            taken, bodies[:] = list(bodies), []
            yield _copyable(taken)
    finally:
        await connection.close()


async def upgrade(url: str, *, dry_run: bool, keep: bool) -> Counter[str]:
    """Events per branch copied (or, with `dry_run`, that would be)."""
    per_branch: Counter[str] = Counter()
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        try:
            legacy = await channel.declare_queue(LEGACY_EVENT_LOG_STREAM, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            print(f"no {LEGACY_EVENT_LOG_STREAM} here: nothing to upgrade")
            return per_branch
        bus = RabbitBus(url)
        await bus.start()
        try:
            if not dry_run:
                await legacy.unbind(EVENTS_EXCHANGE, "#")
            async for events in read_legacy(url):
                per_branch.update(e.branch for e in events)
                if not dry_run:
                    for start in range(0, len(events), BATCH):
                        await bus.publish_events(events[start : start + BATCH])
        finally:
            await bus.close()
        if not dry_run and not keep:
            await legacy.delete(if_unused=False, if_empty=False)
    return per_branch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--amqp-url",
        help="default: QMS_AMQP_URL (with QMS_AMQP_PASSWORD_FILE), else the local broker",
    )
    parser.add_argument("--dry-run", action="store_true", help="count per branch, copy nothing")
    parser.add_argument("--keep", action="store_true", help="do not delete the old stream")
    args = parser.parse_args()
    url = args.amqp_url
    if url is None:
        try:
            url = amqp_url_from_env(os.environ) or DEFAULT_AMQP_URL
        except ConfigError as exc:
            parser.error(str(exc))
    per_branch = asyncio.run(upgrade(url, dry_run=args.dry_run, keep=args.keep))
    verb = "would copy" if args.dry_run else "copied"
    for branch, count in sorted(per_branch.items()):
        print(f"{branch}: {verb} {count} events to {LEGACY_EVENT_LOG_STREAM}.{branch}")


if __name__ == "__main__":
    main()
