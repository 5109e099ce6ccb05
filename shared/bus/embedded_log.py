"""The embedded bus's event logs: one append-only JSON-lines file per branch.

`{data_dir}/events/{branch}.jsonl`, one event a line, flushed on each write,
so a restart replays what was written before it. A branch's reader walks its
branch's file only, as a RabbitMQ reader reads its branch's stream only.

Upgrade: an earlier version kept every branch in one file, `events.jsonl`.
When the broker opens a data folder that has that file and no `events/`
folder yet, it splits the file into the branch files (each line keeps its
order and its time), then renames it `events.jsonl.upgraded` (kept, not
deleted, for the operator to remove). Lines whose branch cannot be read are
left behind in that file, as the old readers skipped them too.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson
import structlog

from shared.bus.base import EventReader, Skim, branch_of
from shared.contract import Event, decode_event
from shared.contract.base import BRANCH_ID_PATTERN
from shared.errors import BusClosed, BusError, MessageError

log = structlog.get_logger(__name__)

LOG_DIR_NAME = "events"
LEGACY_LOG_FILE_NAME = "events.jsonl"
UPGRADED_SUFFIX = ".upgraded"
_BRANCH = re.compile(BRANCH_ID_PATTERN)


def log_branch(routing_key: str) -> str | None:
    """The branch whose log an entry with this routing key goes to (None: no valid branch)."""
    branch = branch_of(routing_key)
    return branch if _BRANCH.match(branch) else None


@dataclass(frozen=True, slots=True)
class _LogEntry:
    timestamp: float
    routing_key: str
    body: bytes


class BranchLog:
    """One branch's file and its entries in memory, with their write times."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[_LogEntry] = []
        self._timestamps: list[float] = []
        self._file: IO[bytes] | None = None
        self._appended = asyncio.Event()

    def __len__(self) -> int:
        return len(self._entries)

    def open(self) -> None:
        """Load what the file holds, then keep it open for appending (blocking)."""
        last = 0.0
        if self.path.exists():
            with self.path.open("rb") as existing:
                for line in existing:
                    body = line.rstrip(b"\n")
                    key, last = _key_and_time(body, last)
                    self._remember(_LogEntry(last, key, body))
        self._file = self.path.open("ab")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _remember(self, entry: _LogEntry) -> None:
        self._entries.append(entry)
        self._timestamps.append(entry.timestamp)

    def append(self, key: str, body: bytes) -> None:
        if self._file is None:
            raise BusClosed("the embedded broker is not open")
        if b"\n" in body:
            raise BusError("a log entry must be one line")
        # Timestamps never go backwards, so a timestamp offset is a bisect.
        stamp = max(time.time(), self._timestamps[-1] if self._timestamps else 0.0)
        self._file.write(body + b"\n")
        self._file.flush()
        self._remember(_LogEntry(stamp, key, body))
        self._appended.set()
        self._appended = asyncio.Event()

    def first_index_at(self, since: dt.datetime) -> int:
        return bisect.bisect_left(self._timestamps, since.timestamp())

    def entry(self, index: int) -> _LogEntry | None:
        return self._entries[index] if index < len(self._entries) else None

    async def wait_beyond(self, index: int) -> None:
        while index >= len(self._entries):
            await self._appended.wait()


def _key_and_time(body: bytes, previous: float) -> tuple[str, float]:
    """Routing key and time of a stored line; an unreadable line inherits the time before it."""
    try:
        raw = orjson.loads(body)
        stamp = dt.datetime.fromisoformat(raw["at"]).timestamp()
        return f"{raw['branch']}.{raw['type']}", max(stamp, previous)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "", previous


def open_logs(data_dir: Path) -> dict[str, BranchLog]:
    """Every branch log in `data_dir`, opened (after the upgrade of a single-file log)."""
    folder = data_dir / LOG_DIR_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    legacy = data_dir / LEGACY_LOG_FILE_NAME
    if legacy.exists():
        if not folder.exists():
            _split_legacy_log(legacy, folder)
        legacy.rename(legacy.with_name(legacy.name + UPGRADED_SUFFIX))
    folder.mkdir(exist_ok=True)
    logs: dict[str, BranchLog] = {}
    for path in sorted(folder.glob("*.jsonl")):
        logs[path.stem] = branch_log = BranchLog(path)
        branch_log.open()
    return logs


def _split_legacy_log(legacy: Path, folder: Path) -> None:
    """Write the branch files into a side folder, then rename it into place (all or nothing)."""
    upgrading = folder.with_name(folder.name + ".upgrading")
    upgrading.mkdir(exist_ok=True)
    for stale in upgrading.glob("*.jsonl"):
        stale.unlink()  # a split that stopped half-way: start it again
    by_branch: dict[str, list[bytes]] = {}
    unreadable = 0
    with legacy.open("rb") as lines:
        for line in lines:
            body = line.rstrip(b"\n")
            key, _ = _key_and_time(body, 0.0)
            branch = log_branch(key)
            if branch is None:
                unreadable += 1
                continue
            by_branch.setdefault(branch, []).append(body + b"\n")
    for branch, bodies in by_branch.items():
        (upgrading / f"{branch}.jsonl").write_bytes(b"".join(bodies))
    upgrading.rename(folder)
    log.warning(
        "embedded event log upgraded to one file per branch",
        legacy=str(legacy),
        branches=sorted(by_branch),
        entries=sum(len(b) for b in by_branch.values()),
        unreadable_left_behind=unreadable,
    )


class EmbeddedEventReader(EventReader):
    """One branch's log from a timestamp on, then live."""

    def __init__(self, branch_log: BranchLog, since: dt.datetime, skim: Skim | None = None) -> None:
        self._log = branch_log
        self._skim = skim
        self._index = branch_log.first_index_at(since)
        self._closed = asyncio.Event()
        self._skipped = 0
        self._received = 0
        self._position: int | None = None

    @property
    def skipped(self) -> int:
        return self._skipped

    @property
    def received(self) -> int:
        return self._received

    @property
    def position(self) -> int | None:
        return self._position

    async def close(self) -> None:
        self._closed.set()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while not self._closed.is_set():
            entry = self._log.entry(self._index)
            if entry is None:
                await self._wait_for_more()
                continue
            self._position = self._index
            self._index += 1
            self._received += 1
            if self._skim is not None and self._skim(entry.body):
                continue
            try:
                event = decode_event(entry.body)
            except MessageError as exc:
                self._skipped += 1
                log.warning("skipped unreadable log entry", index=self._position, error=str(exc))
                continue
            yield event

    async def _wait_for_more(self) -> None:
        more = asyncio.ensure_future(self._log.wait_beyond(self._index))
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({more, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            more.cancel()
            closed.cancel()
