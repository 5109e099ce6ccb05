"""The hub with stand-in transports: who gets which bytes, the day's end, slow clients.

No network and no event loop: the hub's work is synchronous by design.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry

from services.display.fanout import Fanout, Subscriber
from services.display.hub import BranchHub
from shared.contract import CounterOpened, EventData, TicketCalled, TicketIssued
from shared.logs import get_logger
from shared.runtime.live import LiveBranch
from tests.projection.branch import MONDAY_10, EventLog, make_config


class FakeTransport:
    """Keeps what was written; `stuck` bytes pretend the client stopped reading."""

    def __init__(self, stuck: int = 0) -> None:
        self.written: list[bytes] = []
        self.stuck = stuck
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:
        return self.stuck

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True

    def frames(self) -> list[dict[str, Any]]:
        """The JSON of each frame written (one write may hold several frames)."""
        out = []
        for data in self.written:
            pos = 0
            while pos < len(data):
                size, start = data[pos + 1], pos + 2
                if size == 126:
                    size, start = int.from_bytes(data[pos + 2 : pos + 4]), pos + 4
                out.append(orjson.loads(data[start : start + size]))
                pos = start + size
        return out


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Branch:
    def __init__(self) -> None:
        self.config = make_config()
        self.live = LiveBranch(self.config)
        self.clock = Clock(MONDAY_10)
        self.log = EventLog(MONDAY_10.date())
        self.registry = CollectorRegistry()
        self.fanout = Fanout(self.registry, get_logger("display"), send_buffer_limit=1000)
        self.gone: list[Subscriber] = []
        self.hub = BranchHub(
            self.live, self.fanout, self.clock, get_logger("display"), self.gone.append
        )
        self.hub.tick()

    def client(self, kind: str, topic: str, stuck: int = 0) -> tuple[Subscriber, FakeTransport]:
        transport = FakeTransport(stuck)
        ws = cast(web.WebSocketResponse, object())
        return Subscriber(ws, transport, kind, self.config.branch.id, topic), transport  # type: ignore[arg-type]

    def dropped(self, reason: str) -> float | None:
        """How many screens the fan-out dropped for `reason`, by its metric."""
        labels = {"kind": "screen", "reason": reason}
        return self.registry.get_sample_value("qms_ws_dropped_total", labels)

    def add(self, data: EventData) -> None:
        self.log.now = self.clock.now
        self.live.ingest(self.log.add(data))

    def issue(self, number: str, service: str = "pas", area: str = "service") -> str:
        ticket_id = f"id-{number}"
        self.add(
            TicketIssued(
                ticket_id=ticket_id,
                number=number,
                service=service,
                area=area,
                channel="web",
                issued_at=self.clock.now,
            )
        )
        return ticket_id


def test_every_screen_of_an_area_gets_the_same_bytes_once_per_change() -> None:
    branch = Branch()
    ticket = branch.issue("P001")
    branch.add(CounterOpened(counter="service-1", staff="s", services=["pas"]))
    screens = [branch.client("screen", "service") for _ in range(3)]
    kvik, kvik_transport = branch.client("screen", "kvik")
    for subscriber, _ in screens:
        branch.hub.add_screen("service", subscriber)
    branch.hub.add_screen("kvik", kvik)

    branch.add(
        TicketCalled(
            ticket_id=ticket, number="P001", counter="service-1", area="service", staff="s"
        )
    )

    sent = [transport.written for _, transport in screens]
    assert sent[0] == sent[1] == sent[2]
    assert len(sent[0]) == 3  # the snapshot; then the call; then the waiting figures
    assert [f["type"] for f in screens[0][1].frames()] == ["snapshot", "called", "waiting"]
    assert sent[0][0] is sent[1][0]  # one encoded snapshot for all three
    assert sent[0][1] is sent[1][1]  # one encoded call for all three
    assert [f["type"] for f in kvik_transport.frames()] == ["snapshot"]


class WatchingTransport(FakeTransport):
    """Notes, at each write, the waiting count the hub's baseline for the area holds then."""

    def __init__(self, branch: Branch) -> None:
        super().__init__()
        self.branch = branch
        self.baselines: list[int] = []

    def write(self, data: bytes) -> None:
        super().write(data)
        shown = self.branch.hub.screens._waiting.get("service", {})
        self.baselines.append(sum(figure["count"] for figure in shown.values()))


def test_a_call_reaches_the_screens_before_the_waiting_figures_are_worked_out() -> None:
    branch = Branch()
    first = branch.issue("P001")
    branch.issue("P002")
    branch.add(CounterOpened(counter="service-1", staff="s", services=["pas"]))
    transport = WatchingTransport(branch)
    ws = cast(web.WebSocketResponse, object())
    screen = Subscriber(ws, transport, "screen", branch.config.branch.id, "service")  # type: ignore[arg-type]
    branch.hub.add_screen("service", screen)

    branch.add(
        TicketCalled(ticket_id=first, number="P001", counter="service-1", area="service", staff="s")
    )

    frames = transport.frames()
    assert [f["type"] for f in frames] == ["snapshot", "called", "waiting"]
    assert frames[1]["seq"] == frames[2]["seq"]  # both of the one event
    assert len(transport.written) == 3  # the call in a write of its own, first
    # When the call was written, the figures still said two waiting: the
    # display had not yet computed the one left, which the next write carries.
    assert transport.baselines == [2, 2, 1]
    assert frames[2]["waiting"]["pas"]["count"] == 1


def test_a_client_past_the_bound_is_dropped_and_the_rest_still_get_the_frame() -> None:
    branch = Branch()
    slow, slow_transport = branch.client("screen", "service", stuck=5000)
    fine, fine_transport = branch.client("screen", "service")
    branch.hub.add_screen("service", fine)
    branch.hub.add_screen("service", slow)  # its snapshot already finds it too far behind

    branch.issue("P001")

    assert slow_transport.aborted and slow.dropped
    assert slow_transport.written == []
    assert [f["type"] for f in fine_transport.frames()] == ["snapshot", "waiting"]
    assert branch.dropped("slow") == 1.0


def test_at_midnight_screens_start_over_and_yesterdays_phones_are_told() -> None:
    branch = Branch()
    ticket = branch.issue("P001")
    branch.add(CounterOpened(counter="service-1", staff="s", services=["pas"]))
    branch.add(
        TicketCalled(
            ticket_id=ticket, number="P001", counter="service-1", area="service", staff="s"
        )
    )
    screen, screen_transport = branch.client("screen", "service")
    phone, phone_transport = branch.client("ticket", "P001")
    branch.hub.add_screen("service", screen)
    assert branch.hub.add_phone(ticket, phone)

    branch.clock.now = MONDAY_10 + dt.timedelta(days=1)
    branch.hub.tick()

    snapshots = [f for f in screen_transport.frames() if f["type"] == "snapshot"]
    assert snapshots[0]["recent"] != [] and snapshots[-1]["recent"] == []
    assert snapshots[-1]["serving"] == [] and len(snapshots) == 2
    assert phone_transport.frames()[-1]["code"] == "unknown_ticket"
    assert branch.gone == [phone]


def test_a_tick_sends_estimates_that_time_alone_changed() -> None:
    branch = Branch()
    first = branch.issue("P001")
    branch.issue("P002")
    branch.add(CounterOpened(counter="service-1", staff="s", services=["pas"]))
    branch.add(
        TicketCalled(ticket_id=first, number="P001", counter="service-1", area="service", staff="s")
    )
    screen, screen_transport = branch.client("screen", "service")
    phone, phone_transport = branch.client("ticket", "P002")
    branch.hub.add_screen("service", screen)
    branch.hub.add_phone("id-P002", phone)

    branch.clock.now += dt.timedelta(seconds=30)
    branch.hub.tick()
    branch.hub.tick()  # nothing changed since: nothing sent

    assert [f["type"] for f in screen_transport.frames()] == ["snapshot", "waiting"]
    estimates = [f["estimated_wait_s"] for f in phone_transport.frames()]
    assert len(estimates) == 2 and estimates[1] < estimates[0]


def test_unsubscribing_the_last_screen_stops_the_work_for_its_area() -> None:
    branch = Branch()
    screen, transport = branch.client("screen", "service")
    branch.hub.add_screen("service", screen)

    branch.hub.remove_screen("service", screen)
    branch.issue("P001")

    assert branch.hub.screens.areas == frozenset()
    assert [f["type"] for f in transport.frames()] == ["snapshot"]
    clients = branch.registry.get_sample_value(
        "qms_ws_clients", {"branch": "testhall", "kind": "screen"}
    )
    assert clients == 0.0


def test_the_heartbeat_pings_clients_and_drops_those_that_stopped_answering() -> None:
    branch = Branch()
    alive, alive_transport = branch.client("screen", "service")
    silent, silent_transport = branch.client("screen", "service")
    alive.heard, silent.heard = 100.0, 75.0

    branch.fanout.ping([alive, silent], now=100.0 + 10.0, silent_after_s=20.0)

    assert alive_transport.written == [b"\x89\x00"] and not alive_transport.aborted
    assert silent_transport.aborted and silent_transport.written == []
    assert branch.dropped("silent") == 1.0


def test_the_first_event_of_a_new_day_restarts_the_screens_once() -> None:
    """Whether the day turns by an event or by the clock, screens start over once."""
    branch = Branch()
    ticket = branch.issue("P001")
    branch.add(
        TicketCalled(
            ticket_id=ticket, number="P001", counter="service-1", area="service", staff="s"
        )
    )
    screen, transport = branch.client("screen", "service")
    branch.hub.add_screen("service", screen)

    branch.clock.now = MONDAY_10 + dt.timedelta(days=1)
    branch.log = EventLog(branch.clock.now.date(), start=branch.clock.now)
    branch.issue("P001")  # tomorrow's first ticket, read before the midnight tick
    branch.hub.tick()

    frames = transport.frames()
    assert [f["type"] for f in frames] == ["snapshot", "snapshot"]
    assert frames[0]["recent"] != [] and frames[1]["recent"] == []
    assert frames[1]["seq"] == 1 and frames[1]["waiting"]["pas"]["count"] == 1
