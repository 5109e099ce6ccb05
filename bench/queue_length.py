"""What the length of the queue costs: reads and commands with few and with many waiting.

    .venv/bin/python bench/queue_length.py [--waiting 1000] [--seconds 5] [--clients 16]
        [--many 5000] [--engine-only]

1. `decide` of call_next and of issue_ticket on Magion's hall (all desks open)
   with 10 and with `--waiting` tickets waiting: microseconds per decision
   (the state is not changed, so each run decides from the same queue).
2. An issued `pas` ticket as routing answers it, with 10, 1,000 and
   `--many` waiting, without and with bookings to come (Magion books `pas`
   and `koerekort`: every slot of the next `BOOKED_HOURS` hours is booked):
   `decide_and_apply` of issue_ticket (its reply carries the ticket's
   position and estimate) and that reply's `estimate_for` alone, beside the
   floor: `decide` of issue_ticket with 10 waiting and no bookings.
3. `GET /api/v1/branches/magion/services` on one in-process ticketing
   service (embedded bus, loopback) with nobody waiting and with `--waiting`
   waiting: requests/s from `--clients` concurrent aiohttp clients for
   `--seconds`, beside the floor of a bare aiohttp handler answering a small
   JSON body to the same clients in the same run, and the ratio.

The clients run in the same process as the service: every figure includes
their cost, the floor too, so compare the figures with each other.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from engine import MAGION, around_the_clock
from localstack import early_morning_zone

from services.routing.engine import CountingIds, decide, decide_and_apply
from services.ticketing.app import create_app
from shared.bus.connect import connect_embedded
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings, load_branch_file
from shared.contract import (
    BookAppointment,
    CallNext,
    CancelTicket,
    Command,
    CommandData,
    CommandType,
    Event,
    IssueTicket,
    OpenCounter,
    Reply,
)
from shared.logs import configure_logging
from shared.projection import BranchState, estimate_for, local_day, slots_on
from shared.runtime import ServiceContext, start_service


def quick_hall() -> BranchConfig:
    """Magion staffed all day with one-minute services, so a long queue is still accepted.

    In a zone where it is 01:MM now: the day has 23 hours left, so no ticket
    would wait past closing (midnight) and the day does not turn during the
    bench, whenever it is started.
    """
    config = around_the_clock(load_branch_file(MAGION))
    services = [s.model_copy(update={"service_time_min": 1}) for s in config.services]
    branch = config.branch.model_copy(update={"timezone": early_morning_zone()})
    return config.model_copy(update={"services": services, "branch": branch})


def command(
    config: BranchConfig, kind: CommandType, data: CommandData, now: dt.datetime
) -> Command:
    return Command(
        id=str(uuid.uuid4()), type=kind, branch=config.id, at=now, actor="bench", data=data
    )


# With bookings: every slot of the bookable services in the next hours is booked.
BOOKED_HOURS = 4


def hall_with(
    config: BranchConfig, waiting: int, now: dt.datetime, booked: bool = False
) -> tuple[BranchState, list[Event]]:
    """Every desk open and `waiting` tickets issued (spread over the services), none called.

    `booked`: first every slot of the next `BOOKED_HOURS` hours booked, none checked in.
    """
    state = BranchState.fresh(config, local_day(config, now))
    # As if today's services had taken 10 s each: 5,000 waiting still end before closing.
    state.service_time_s = dict.fromkeys(state.service_time_s, 10.0)
    ids, log = CountingIds(), list[Event]()
    if booked:
        log.extend(book_slots(config, state, ids, now))
    for desk in config.counters:
        _, events = decide_and_apply(
            state,
            command(config, CommandType.OPEN_COUNTER, OpenCounter(counter=desk.id), now),
            config=config,
            now=now,
            ids=ids,
            writer="bench",
        )
        log.extend(events)
    services = [s.id for s in config.services]
    for n in range(waiting):
        issue = IssueTicket(service=services[n % len(services)])
        reply, events = decide_and_apply(
            state,
            command(config, CommandType.ISSUE_TICKET, issue, now + dt.timedelta(milliseconds=n)),
            config=config,
            now=now + dt.timedelta(milliseconds=n),
            ids=ids,
            writer="bench",
        )
        if not reply.ok:
            raise SystemExit(f"issue refused at {n}: {reply.error}")
        log.extend(events)
    return state, log


def book_slots(
    config: BranchConfig, state: BranchState, ids: CountingIds, now: dt.datetime
) -> list[Event]:
    until = now + dt.timedelta(hours=BOOKED_HOURS)
    log: list[Event] = []
    for service in config.services:
        if service.seats is None:
            continue
        for start, _ in slots_on(config, service, state.day):
            if not now < start <= until:
                continue
            data = BookAppointment(service=service.id, start=start)
            reply, events = run(config, state, ids, CommandType.BOOK_APPOINTMENT, data, now)
            if not reply.ok:
                raise SystemExit(f"booking refused at {start}: {reply.error}")
            log.extend(events)
    return log


def run(
    config: BranchConfig,
    state: BranchState,
    ids: CountingIds,
    kind: CommandType,
    data: CommandData,
    now: dt.datetime,
) -> tuple[Reply, tuple[Event, ...]]:
    return decide_and_apply(
        state, command(config, kind, data, now), config=config, now=now, ids=ids, writer="bench"
    )


def issued_us(config: BranchConfig, state: BranchState, service: str) -> tuple[float, float]:
    """Microseconds per issue_ticket decided, applied and answered, and per its reply's estimate.

    The fastest of five runs of 100; each ticket is cancelled (not timed)
    before the next, so every issue meets the same queue.
    """
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    ids = CountingIds("i")
    issues, estimates = [], []
    for _ in range(5):
        issue_s = estimate_s = 0.0
        for _ in range(100):
            issue = command(config, CommandType.ISSUE_TICKET, IssueTicket(service=service), now)
            started = time.perf_counter()
            reply, _ = decide_and_apply(
                state, issue, config=config, now=now, ids=ids, writer="bench"
            )
            issue_s += time.perf_counter() - started
            assert reply.ok and reply.result is not None, reply.error
            ticket_id = reply.result["ticket_id"]
            started = time.perf_counter()
            estimate_for(state, config, ticket_id, now)
            estimate_s += time.perf_counter() - started
            cancel = CancelTicket(ticket_id=ticket_id)
            run(config, state, ids, CommandType.CANCEL_TICKET, cancel, now)
        issues.append(issue_s / 100 * 1e6)
        estimates.append(estimate_s / 100 * 1e6)
    return min(issues), min(estimates)


def decide_us(
    config: BranchConfig, state: BranchState, data: CommandData, kind: CommandType
) -> float:
    """Microseconds per `decide`: the fastest of five runs of 200 (the least disturbed)."""
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    runs = []
    for _ in range(5):
        commands = [command(config, kind, data, now) for _ in range(200)]
        started = time.perf_counter()
        for each in commands:
            decide(state, each, config=config, now=now, ids=CountingIds("d"), writer="bench")
        runs.append((time.perf_counter() - started) / len(commands) * 1e6)
    return min(runs)


async def rate(url: str, clients: int, seconds: float) -> float:
    """Requests/s that `clients` concurrent loops get from `url` in `seconds`."""
    done = 0
    stop = time.perf_counter() + seconds

    async def loop(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            done += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(loop(session) for _ in range(clients)))
        return done / (time.perf_counter() - started)


async def bare_floor(clients: int, seconds: float) -> float:
    async def handler(_request: web.Request) -> web.Response:
        return web.json_response({"branch": "magion", "services": []})

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await rate(f"http://127.0.0.1:{port}/", clients, seconds)
    finally:
        await runner.cleanup()


async def services_rate(
    config: BranchConfig, log: list[Event], clients: int, seconds: float
) -> float:
    """GET .../services on a ticketing service whose reader has read `log`."""
    settings = Settings(ports={"ticketing": 0})
    with tempfile.TemporaryDirectory() as data:
        broker = EmbeddedBroker(Path(data))
        await broker.open()
        bus = await connect_embedded(broker)
        for chunk in range(0, len(log), 500):
            await bus.publish_events(log[chunk : chunk + 500])
        service = await start_service(
            ServiceContext.create("ticketing", settings, {config.id: config}, bus), create_app
        )
        url = f"http://127.0.0.1:{service.port}/api/v1/branches/{config.id}/services"
        expected = sum(1 for e in log if e.type.value == "ticket.issued")
        async with aiohttp.ClientSession() as session:
            for _ in range(200):  # until the reader has read the log
                async with session.get(url) as response:
                    body = await response.json() if response.status == 200 else None
                if body is not None and sum(a["waiting"] for a in body["areas"]) == expected:
                    break
                await asyncio.sleep(0.05)
            else:
                raise SystemExit("the ticketing reader did not catch up")
        try:
            return await rate(url, clients, seconds)
        finally:
            await service.stop()
            await bus.close()
            await broker.close()


async def main(args: argparse.Namespace) -> None:
    configure_logging("bench")  # Logs to stderr; the figures alone go to stdout.
    config = quick_hall()
    now = dt.datetime.now(dt.UTC)
    desk = config.counters[0].id
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    logs = {}
    for waiting in (10, args.waiting):
        state, log = hall_with(config, waiting, now)
        logs[waiting] = log
        call = decide_us(config, state, CallNext(counter=desk), CommandType.CALL_NEXT)
        issue = decide_us(
            config, state, IssueTicket(service=config.services[0].id), CommandType.ISSUE_TICKET
        )
        print(f"decide with {waiting:>5} waiting: call_next {call:7.1f} µs, issue {issue:7.1f} µs")
    floor_state, _ = hall_with(config, 10, now)
    issue_floor = decide_us(
        config, floor_state, IssueTicket(service="pas"), CommandType.ISSUE_TICKET
    )
    for booked in (False, True):
        for waiting in (10, 1000, args.many):
            state, _ = hall_with(config, waiting, now, booked)
            issued, estimate = issued_us(config, state, "pas")
            print(
                f"issue pas with {waiting:>5} waiting, {'with' if booked else 'no':>4} bookings: "
                f"decide+apply+reply {issued:7.1f} µs, its estimate_for {estimate:7.1f} µs "
                f"(floor: decide with 10 waiting, no bookings {issue_floor:6.1f} µs)"
            )
    if args.engine_only:
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    _, empty = hall_with(config, 0, now)
    floor = await bare_floor(args.clients, args.seconds)
    none = await services_rate(config, empty, args.clients, args.seconds)
    many = await services_rate(config, logs[args.waiting], args.clients, args.seconds)
    print(f"bare aiohttp handler:                     {floor:7.0f} req/s")
    print(
        f"GET .../services, nobody waiting:         {none:7.0f} req/s "
        f"({none / floor:.2f} of the floor)"
    )
    print(
        f"GET .../services, {args.waiting} waiting:          {many:7.0f} req/s "
        f"({many / none:.2f} of nobody waiting; target >= 0.5)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--many", type=int, default=5000)
    parser.add_argument("--engine-only", action="store_true", help="parts 1 and 2 only")
    asyncio.run(main(parser.parse_args()))
