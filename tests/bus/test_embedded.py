"""What only the embedded bus has: its log file survives a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from shared.bus.embedded import EmbeddedBroker
from tests.bus.messages import event, now, take, unique_branch


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


async def test_restart_replays_the_log_file(tmp_path: Path) -> None:
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    before = EmbeddedBroker(tmp_path)
    await before.open()
    bus = before.connect()
    await bus.start()
    await bus.publish_events([event(branch, seq) for seq in (1, 2, 3)])
    await bus.close()
    await before.close()

    lines = read_lines(tmp_path / "events.jsonl")
    assert [orjson.loads(line)["seq"] for line in lines] == [1, 2, 3]

    after = EmbeddedBroker(tmp_path)
    await after.open()
    bus = after.connect()
    await bus.start()
    events = aiter(bus.read_events(since, frozenset({branch})))
    assert [e.seq for e in await take(events, 3)] == [1, 2, 3]
    await bus.publish_events([event(branch, 4)])
    assert [e.seq for e in await take(events, 1)] == [4]
    await bus.close()
    await after.close()


def write_log(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


async def test_a_damaged_line_is_skipped_after_restart(tmp_path: Path) -> None:
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    good = [orjson.dumps(event(branch, seq).model_dump(mode="json")) for seq in (1, 2)]
    write_log(tmp_path / "events.jsonl", [good[0], b'{"half a line', good[1]])

    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    bus = broker.connect()
    await bus.start()
    reader = bus.read_events(since)
    assert [e.seq for e in await take(aiter(reader), 2)] == [1, 2]
    assert reader.skipped == 1
    await bus.close()
    await broker.close()


async def test_a_reader_from_now_skips_older_entries(tmp_path: Path) -> None:
    branch = unique_branch()
    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    bus = broker.connect()
    await bus.start()
    await bus.publish_events([event(branch, 1)])
    since = now() + dt.timedelta(microseconds=1)
    events = aiter(bus.read_events(since, frozenset({branch})))
    await bus.publish_events([event(branch, 2)])
    assert [e.seq for e in await take(events, 1)] == [2]
    await bus.close()
    await broker.close()
