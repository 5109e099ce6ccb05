"""Chaos on the real broker: the hall under load while its parts die and come back.

Four kiosks issue and twenty desks call and finish through ticketing and
staff, screens and phones watch through display, and citizens book
appointments, check in by code and cancel some with the engine's commands
(tests/support/booking_load.py). Meanwhile: five kill -9 of
the active routing replica (a fresh one started after each, so two always
run), one broker restart (`rabbitmqctl stop_app` / `start_app`: every
connection on the broker drops, every suite's), one display restart on the
same port. Afterwards the day's log must hold every ticket that got a 201
exactly once, no number twice, never one ticket at two desks, and every
screen and phone must end on the state the log says; every booking told
in the calendar once with its code, no slot over its seats, each booking
checked in at most once with the ticket its citizen was told, and no
check-in ticket called twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.bus.rabbit import RabbitBus
from shared.config import BranchConfig, load_branches
from shared.projection import BranchState
from shared.runtime.commands import CommandClient
from tests.chaos.checks import check_log, phone_expected, read_day, screen_expected
from tests.chaos.clients import Tally, Watcher, desk, kiosk, open_desk
from tests.chaos.hall import AREAS, SERVICES, Stack, branch_toml, rabbitmqctl
from tests.support.booking_load import Bookings, Citizen, check_bookings, open_slots
from tests.support.buses import AMQP_URL

pytestmark = pytest.mark.rabbitmq

KILLS = 5
BROKER_RESTART_AFTER_KILL = 2
DISPLAY_RESTART_AFTER_KILL = 3
LOAD_BETWEEN_S = 4.0  # load between two blows
KIOSKS = 4
CITIZENS = 2
SPREAD_PHONES = 5
LATE_PHONES = 4
SETTLE_S = 30.0
WHOLE_TEST_S = 240.0


async def test_the_hall_survives_kills_a_broker_restart_and_a_display_restart(
    tmp_path: Path,
) -> None:
    branch = f"t-{uuid.uuid4().hex[:12]}"
    branch_file = tmp_path / f"{branch}.toml"
    branch_file.write_text(branch_toml(branch), encoding="utf-8")
    config = load_branches(str(branch_file))[branch]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    stack = Stack(branch_file, tmp_path)
    tasks: list[asyncio.Task[None]] = []
    # The citizens' connection: it lives through the broker restart, as ticketing's does.
    bus = RabbitBus(AMQP_URL)
    try:
        async with asyncio.timeout(WHOLE_TEST_S), aiohttp.ClientSession() as http:
            await bus.start()
            await start_hall(stack)
            hall = Hall(stack, http, config, tasks, CommandClient(bus, timeout_s=2.0, attempts=2))
            await asyncio.gather(*(open_desk(http, hall.staff, branch, d) for d in hall.desks))
            hall.start_load()
            killed, timings = await blows(stack)
            await asyncio.sleep(LOAD_BETWEEN_S)
            # Desks stop first, so the last tickets (and their phones) end waiting.
            hall.stop_desks.set()
            await asyncio.gather(*hall.desk_load)
            async with asyncio.timeout(LOAD_BETWEEN_S * 5):
                await hall.late_phones_opened.wait()
            hall.stop_kiosks.set()
            await asyncio.gather(*hall.kiosk_load, *hall.citizen_load)

            live, applied = await read_day(config, since)
            tally = hall.tally
            print(
                f"{len(tally.issued)} issued, {tally.calls} calls, {tally.finishes} finishes, "
                f"{tally.retries} retries, slowest {tally.slowest_s:.1f} s; "
                f"{len(applied)} events; killed {killed}; {timings}; "
                f"bookings: {hall.bookings.summary()}"
            )
            check_log(config, applied, tally.issued)
            check_bookings(config, applied, hall.bookings)
            assert len(hall.bookings.booked) >= 50, "the citizens hardly booked"
            assert len(hall.bookings.checked_in) >= 25, "the citizens hardly checked in"
            assert not tally.unexpected, tally.unexpected[:10]
            assert not tally.gave_up, tally.gave_up[:10]
            assert len(stack.routing()) == 2
            assert len(tally.issued) >= 100, "the kiosks hardly issued"
            assert tally.calls >= 100, "the desks hardly called"
            assert len(hall.phones) == SPREAD_PHONES + LATE_PHONES, list(hall.phones)
            await check_watchers(hall, live.state, config)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        await asyncio.to_thread(stack.stop_all)


async def start_hall(stack: Stack) -> None:
    first = stack.start("routing")
    # One after the other: the first to consume is the active one.
    await asyncio.to_thread(stack.wait_healthy, 30.0, [first])
    for service in ("routing", "display", "ticketing", "staff"):
        stack.start(service)
    await asyncio.to_thread(stack.wait_healthy, 60.0)


class Hall:
    """The clients: kiosks, desks and citizens (the load), screens and phones (the watchers)."""

    def __init__(
        self,
        stack: Stack,
        http: aiohttp.ClientSession,
        config: BranchConfig,
        tasks: list[Any],
        commands: CommandClient,
    ) -> None:
        branch = config.id
        self.http, self.branch, self.tasks = http, branch, tasks
        self.config, self.commands = config, commands
        self.bookings = Bookings()
        self.citizen_load: list[asyncio.Task[None]] = []
        self.ticketing = f"http://127.0.0.1:{stack.one('ticketing').port}"
        self.staff = f"http://127.0.0.1:{stack.one('staff').port}"
        self.ws = f"ws://127.0.0.1:{stack.one('display').port}/ws"
        self.desks = [d for names in AREAS.values() for d in names]
        self.tally = Tally()
        self.stop_desks = asyncio.Event()
        self.stop_kiosks = asyncio.Event()
        self.late_phones_opened = asyncio.Event()
        self.desk_load: list[asyncio.Task[None]] = []
        self.kiosk_load: list[asyncio.Task[None]] = []
        self.screens = [Watcher(f"{self.ws}/display/{branch}/{a}") for a in AREAS for _ in (1, 2)]
        self.phones: dict[str, Watcher] = {}
        self.late_phones = 0

    def watch(self, watcher: Watcher) -> None:
        # Watchers run until the finally cancels them: they outlive the load.
        self.tasks.append(asyncio.create_task(watcher.run(self.http)))

    def on_ticket(self, ticket_id: str) -> None:
        # Phones on tickets spread over the run (they end finished or at a
        # desk), and on a few issued after the desks stopped (they end waiting).
        if self.stop_desks.is_set():
            if self.late_phones < LATE_PHONES:
                self.late_phones += 1
                self.phone(ticket_id)
            if self.late_phones == LATE_PHONES:
                self.late_phones_opened.set()
        elif len(self.tally.issued) % 100 == 1 and len(self.phones) < SPREAD_PHONES:
            self.phone(ticket_id)

    def phone(self, ticket_id: str) -> None:
        self.phones[ticket_id] = Watcher(f"{self.ws}/tickets/{self.branch}/{ticket_id}")
        self.watch(self.phones[ticket_id])

    def start_load(self) -> None:
        for screen in self.screens:
            self.watch(screen)
        services, tally = list(SERVICES), self.tally
        self.kiosk_load = [
            asyncio.create_task(
                kiosk(
                    self.http,
                    self.ticketing,
                    self.branch,
                    services,
                    tally,
                    self.stop_kiosks,
                    self.on_ticket,
                )
            )
            for _ in range(KIOSKS)
        ]
        self.desk_load = [
            asyncio.create_task(desk(self.http, self.staff, self.branch, d, tally, self.stop_desks))
            for d in self.desks
        ]
        slots = open_slots(self.config, dt.datetime.now(dt.UTC))
        self.citizen_load = [
            asyncio.create_task(
                Citizen(
                    self.commands, self.config, self.bookings, slots, seed=n, pause_s=(0.2, 0.5)
                ).run(self.stop_kiosks)
            )
            for n in range(CITIZENS)
        ]
        self.tasks.extend([*self.kiosk_load, *self.desk_load, *self.citizen_load])


async def blows(stack: Stack) -> tuple[list[tuple[str, int]], dict[str, float]]:
    """The chaos, under load: which replicas were killed (and what they had answered)."""
    killed: list[tuple[str, int]] = []
    timings: dict[str, float] = {}
    for blow in range(1, KILLS + 1):
        await asyncio.sleep(LOAD_BETWEEN_S)
        active = await asyncio.to_thread(stack.active_routing, 5.0)
        killed.append((active.name, active.answered()))
        stack.kill(active)
        fresh = stack.start("routing")
        timings[f"routing {blow} replaced"] = await asyncio.to_thread(
            stack.wait_healthy, 30.0, [fresh]
        )
        if blow == BROKER_RESTART_AFTER_KILL:
            await asyncio.sleep(LOAD_BETWEEN_S)
            started = time.monotonic()
            await asyncio.to_thread(rabbitmqctl, "stop_app")
            await asyncio.to_thread(rabbitmqctl, "start_app")
            timings["broker back"] = time.monotonic() - started
            await asyncio.to_thread(stack.wait_healthy, 90.0)
            timings["broker restart to all healthy"] = time.monotonic() - started
        if blow == DISPLAY_RESTART_AFTER_KILL:
            await asyncio.sleep(LOAD_BETWEEN_S)
            display = stack.one("display")
            code = await asyncio.to_thread(stack.terminate, display, 10.0)
            assert code == 0, f"display did not stop cleanly: {code}\n{stack.tail(display)}"
            started = time.monotonic()
            restarted = stack.start("display", display.port)
            await asyncio.to_thread(stack.wait_healthy, 30.0, [restarted])
            timings["display restart"] = time.monotonic() - started
    return killed, timings


async def check_watchers(hall: Hall, state: BranchState, config: BranchConfig) -> None:
    """Screens and phones end on what the log says: polled until equal, with a deadline."""
    want_screens = [screen_expected(state, config, s.url.rsplit("/", 1)[1]) for s in hall.screens]
    deadline = time.monotonic() + SETTLE_S
    while True:
        got_screens = [s.serving for s in hall.screens]
        want_phones = {t: phone_expected(state, config, t) for t in hall.phones}
        got_phones = {
            t: {k: (w.last or {}).get(k) for k in ("status", "position")}
            for t, w in hall.phones.items()
        }
        settled = got_screens == want_screens and got_phones == want_phones
        if settled or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert got_screens == want_screens
    assert got_phones == want_phones
    assert all(s.connects >= 2 for s in hall.screens), "a screen missed the display restart"
    assert not any(w.refused for w in [*hall.screens, *hall.phones.values()])
    print(
        f"screens serving {[len(s) for s in got_screens]}, "
        f"connects {[s.connects for s in [*hall.screens, *hall.phones.values()]]}; "
        f"phones {[p['status'] for p in got_phones.values()]}"
    )
