"""What only the embedded bus has: its log files survive a restart, one file per branch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from shared.bus.embedded import EmbeddedBroker
from tests.bus.messages import event, now, take, unique_branch


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def stored(branch: str, seq: int) -> bytes:
    return orjson.dumps(event(branch, seq).model_dump(mode="json"))


def write_log(path: Path, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))


async def test_restart_replays_the_branch_s_log_file(tmp_path: Path) -> None:
    branch, other = unique_branch(), unique_branch()
    since = now() - dt.timedelta(seconds=1)
    before = EmbeddedBroker(tmp_path)
    await before.open()
    bus = before.connect()
    await bus.start()
    await bus.publish_events([event(branch, seq) for seq in (1, 2, 3)])
    await bus.publish_events([event(other, 1)])
    await bus.close()
    await before.close()

    lines = read_lines(tmp_path / "events" / f"{branch}.jsonl")
    assert [orjson.loads(line)["seq"] for line in lines] == [1, 2, 3]
    assert len(read_lines(tmp_path / "events" / f"{other}.jsonl")) == 1

    after = EmbeddedBroker(tmp_path)
    await after.open()
    bus = after.connect()
    await bus.start()
    reader = bus.read_events(since, frozenset({branch}))
    events = aiter(reader)
    assert [e.seq for e in await take(events, 3)] == [1, 2, 3]
    await bus.publish_events([event(branch, 4)])
    assert [e.seq for e in await take(events, 1)] == [4]
    assert reader.received == 4  # the other branch's file is not read
    await bus.close()
    await after.close()


async def test_a_damaged_line_is_skipped_after_restart(tmp_path: Path) -> None:
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    good = [stored(branch, seq) for seq in (1, 2)]
    write_log(tmp_path / "events" / f"{branch}.jsonl", [good[0], b'{"half a line', good[1]])

    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    bus = broker.connect()
    await bus.start()
    reader = bus.read_events(since, frozenset({branch}))
    assert [e.seq for e in await take(aiter(reader), 2)] == [1, 2]
    assert reader.skipped == 1
    await bus.close()
    await broker.close()


async def test_a_single_file_log_is_split_per_branch_on_upgrade(tmp_path: Path) -> None:
    mine, other = unique_branch(), unique_branch()
    since = now() - dt.timedelta(seconds=1)
    legacy = [stored(mine, 1), stored(other, 1), b'{"half a line', stored(mine, 2)]
    write_log(tmp_path / "events.jsonl", legacy)

    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    bus = broker.connect()
    await bus.start()
    reader = bus.read_events(since, frozenset({mine}))
    assert [e.seq for e in await take(aiter(reader), 2)] == [1, 2]
    await bus.close()
    await broker.close()

    assert read_lines(tmp_path / "events" / f"{mine}.jsonl") == [legacy[0], legacy[3]]
    assert read_lines(tmp_path / "events" / f"{other}.jsonl") == [legacy[1]]
    assert not (tmp_path / "events.jsonl").exists()
    # Kept whole for the operator, the unreadable line included.
    assert read_lines(tmp_path / "events.jsonl.upgraded") == legacy

    again = EmbeddedBroker(tmp_path)  # a second start does not split anything again
    await again.open()
    await again.close()
    assert read_lines(tmp_path / "events" / f"{mine}.jsonl") == [legacy[0], legacy[3]]


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


async def test_an_entry_that_names_no_branch_is_dropped(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    bus = broker.connect()
    await bus.start()
    await bus.publish_raw("Not A Branch.ticket.issued", b"{}")
    await bus.close()
    await broker.close()
    assert list((tmp_path / "events").iterdir()) == []
