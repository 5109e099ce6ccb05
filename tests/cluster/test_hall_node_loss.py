"""The hall on a three-node RabbitMQ cluster loses a node under load, twice; it keeps its tickets.

The four services run as processes (two routing replicas), each given all
three node URLs in one `QMS_AMQP_URL`; kiosks issue, desks call and finish,
screens and phones watch. Blows, under load: kill -9 of the node leading the
branch's stream, then (that node restarted and back in the cluster) kill -9 of
the node leading the branch's command queue. Each time tickets must be issued
again within RECOVER_WITHIN_S; afterwards every ticket that got a 201 is in
the log exactly once, none is called twice, and every screen and phone ends
on what the log says. The recovery times are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from shared.bus import command_queue, event_log_stream
from shared.bus.rabbit import RabbitBus
from shared.config import BranchConfig, load_branches
from shared.projection import BranchState
from tests.chaos.checks import check_log, phone_expected, screen_expected
from tests.chaos.clients import Tally, Watcher, desk, kiosk, open_desk
from tests.chaos.hall import AREAS, SERVICES, Stack, branch_toml
from tests.support.cluster import Cluster, Node, rabbitmq_server
from tests.support.events import read_back

pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.skipif(rabbitmq_server() is None, reason="rabbitmq-server is not installed"),
    pytest.mark.timeout(300),
]

WHOLE_TEST_S = 280.0  # cluster up and down included; pytest's timeout is the backstop
RECOVER_WITHIN_S = 5.0
PROBE_EVERY_S = 0.25
PROBE_TIMEOUT = aiohttp.ClientTimeout(total=3)
LOAD_BETWEEN_S = 4.0
KIOSKS = 3
PHONES = 4
SETTLE_S = 30.0


@dataclass
class ClusterStack(Stack):
    """The chaos test's processes, given the cluster's URLs instead of the local broker's."""

    amqp_url: str = ""

    def env(self, service: str, port: int) -> dict[str, str]:
        return {**super().env(service, port), "QMS_AMQP_URL": self.amqp_url}


@dataclass
class Watchers:
    screens: list[Watcher]
    phones: dict[str, Watcher] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def watch(self, http: aiohttp.ClientSession, watcher: Watcher) -> None:
        self.tasks.append(asyncio.create_task(watcher.run(http)))


async def test_the_hall_survives_the_loss_of_a_stream_leader_and_a_queue_leader(
    tmp_path: Path,
) -> None:
    branch = f"t-{uuid.uuid4().hex[:12]}"
    branch_file = tmp_path / f"{branch}.toml"
    branch_file.write_text(branch_toml(branch), encoding="utf-8")
    config = load_branches(str(branch_file))[branch]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    started = time.monotonic()
    with Cluster.create() as cluster:
        print(f"cluster of three running after {time.monotonic() - started:.1f} s")
        stack = ClusterStack(branch_file, tmp_path, amqp_url=",".join(cluster.urls))
        tasks: list[asyncio.Task[None]] = []
        try:
            async with asyncio.timeout(WHOLE_TEST_S), aiohttp.ClientSession() as http:
                await hall_day(cluster, stack, http, config, since, tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(stack.stop_all)


async def hall_day(
    cluster: Cluster,
    stack: ClusterStack,
    http: aiohttp.ClientSession,
    config: BranchConfig,
    since: dt.datetime,
    tasks: list[asyncio.Task[None]],
) -> None:
    branch = config.id
    first = stack.start("routing")
    await asyncio.to_thread(stack.wait_healthy, 60.0, [first])
    for service in ("routing", "display", "ticketing", "staff"):
        stack.start(service)
    await asyncio.to_thread(stack.wait_healthy, 60.0)
    stream, commands = event_log_stream(branch), command_queue(branch)
    queues = await asyncio.to_thread(cluster.queues)
    for name in (stream, commands):
        assert len(queues[name]["members"]) == 3, queues[name]

    ticketing = f"http://127.0.0.1:{stack.one('ticketing').port}"
    staff = f"http://127.0.0.1:{stack.one('staff').port}"
    ws = f"ws://127.0.0.1:{stack.one('display').port}/ws"
    desks = [d for names in AREAS.values() for d in names]
    await asyncio.gather(*(open_desk(http, staff, branch, d) for d in desks))
    watchers = Watchers([Watcher(f"{ws}/display/{branch}/{a}") for a in AREAS for _ in (1, 2)])
    tasks_of_watchers = watchers.tasks
    for screen in watchers.screens:
        watchers.watch(http, screen)

    tally = Tally()
    stop_desks, stop_kiosks = asyncio.Event(), asyncio.Event()

    def on_ticket(ticket_id: str) -> None:
        # Phones on tickets issued after the desks stopped: they end waiting.
        if stop_desks.is_set() and len(watchers.phones) < PHONES:
            watchers.phones[ticket_id] = Watcher(f"{ws}/tickets/{branch}/{ticket_id}")
            watchers.watch(http, watchers.phones[ticket_id])

    kiosks = [
        asyncio.create_task(
            kiosk(http, ticketing, branch, list(SERVICES), tally, stop_kiosks, on_ticket)
        )
        for _ in range(KIOSKS)
    ]
    desk_load = [
        asyncio.create_task(desk(http, staff, branch, d, tally, stop_desks)) for d in desks
    ]
    tasks.extend([*kiosks, *desk_load])
    try:
        recovery: dict[str, float] = {}
        await asyncio.sleep(LOAD_BETWEEN_S)
        leader = await asyncio.to_thread(cluster.leader_of, stream)
        recovery[f"stream leader {leader.letter} killed"] = await blow(
            cluster, leader, http, ticketing, branch, tally
        )
        begun = time.monotonic()
        await asyncio.to_thread(cluster.restart, leader)
        # Only once its members run again may another node go: two of three must stay.
        await asyncio.to_thread(cluster.await_members_online, [stream, commands])
        recovery[f"node {leader.letter} back in the cluster"] = time.monotonic() - begun
        await asyncio.sleep(LOAD_BETWEEN_S)
        leader = await asyncio.to_thread(cluster.leader_of, commands)
        recovery[f"command queue leader {leader.letter} killed"] = await blow(
            cluster, leader, http, ticketing, branch, tally
        )
        await asyncio.sleep(LOAD_BETWEEN_S)
        stop_desks.set()
        await asyncio.gather(*desk_load)
        async with asyncio.timeout(LOAD_BETWEEN_S * 5):
            while len(watchers.phones) < PHONES:  # noqa: ASYNC110 - kiosks fill it
                await asyncio.sleep(0.1)
        stop_kiosks.set()
        await asyncio.gather(*kiosks)
    finally:
        tasks.extend(tasks_of_watchers)

    bus = RabbitBus(cluster.urls)
    await bus.start()
    try:
        live, applied = await read_back(bus, config, since, reader="cluster-test", within=60.0)
    finally:
        await bus.close()
    print(
        f"{len(tally.issued)} issued, {tally.calls} calls, {tally.finishes} finishes, "
        f"{tally.retries} retries, slowest {tally.slowest_s:.1f} s; {len(applied)} events; "
        + "; ".join(f"{what}: {s:.1f} s" for what, s in recovery.items())
    )
    check_log(config, applied, tally.issued)
    assert not tally.unexpected, tally.unexpected[:10]
    assert not tally.gave_up, tally.gave_up[:10]
    assert len(tally.issued) >= 50, "the kiosks hardly issued"
    assert tally.calls >= 50, "the desks hardly called"
    await check_watchers(watchers, live.state, config)
    slow = {what: s for what, s in recovery.items() if "killed" in what and s > RECOVER_WITHIN_S}
    assert not slow, f"no ticket issued within {RECOVER_WITHIN_S} s of a kill: {slow}"


async def blow(
    cluster: Cluster,
    node: Node,
    http: aiohttp.ClientSession,
    ticketing: str,
    branch: str,
    tally: Tally,
) -> float:
    """Kill the node; the seconds until a ticket requested after the kill got its 201.

    A fresh request (its own Idempotency-Key, no retry) every PROBE_EVERY_S,
    so the figure does not wait on a client's back-off.
    """
    killed_at = time.monotonic()
    await asyncio.to_thread(cluster.kill, node)
    issued: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    url = f"{ticketing}/api/v1/branches/{branch}/tickets"

    async def probe() -> None:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"service": next(iter(SERVICES)), "channel": "kiosk"}
        try:
            async with http.post(url, json=body, headers=headers, timeout=PROBE_TIMEOUT) as got:
                payload = await got.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return
        if got.status == 201:
            tally.issued[payload["ticket_id"]] = payload["number"]
            if not issued.done():
                issued.set_result(time.monotonic() - killed_at)
        elif got.status not in (502, 503, 504):
            tally.unexpected.append(f"probe {got.status} {payload}")

    probes: list[asyncio.Task[None]] = []
    try:
        async with asyncio.timeout(30):
            while not issued.done():
                probes.append(asyncio.create_task(probe()))
                await asyncio.wait({issued}, timeout=PROBE_EVERY_S)
        # The probes still running may yet be answered: their 201s count too.
        await asyncio.gather(*probes)
    except TimeoutError:
        alive = [n for n in cluster.nodes if n.running()]
        for args in (
            ("list_queues", "name", "leader", "members", "online", "messages"),
            ("list_consumers", "queue_name", "channel_pid", "active", "activity_status"),
        ):
            print(await asyncio.to_thread(cluster.ctl, alive[0], *args))
        raise
    finally:
        for task in probes:
            task.cancel()
    return issued.result()


async def check_watchers(watchers: Watchers, state: BranchState, config: BranchConfig) -> None:
    """Screens and phones end on what the log says: polled until equal, with a deadline."""
    want_screens = [
        screen_expected(state, config, s.url.rsplit("/", 1)[1]) for s in watchers.screens
    ]
    deadline = time.monotonic() + SETTLE_S
    while True:
        got_screens = [s.serving for s in watchers.screens]
        want_phones = {t: phone_expected(state, config, t) for t in watchers.phones}
        got_phones = {
            t: {k: (w.last or {}).get(k) for k in ("status", "position")}
            for t, w in watchers.phones.items()
        }
        if (got_screens == want_screens and got_phones == want_phones) or (
            time.monotonic() > deadline
        ):
            break
        await asyncio.sleep(0.2)
    assert got_screens == want_screens
    assert got_phones == want_phones
    assert len(watchers.phones) == PHONES
    assert not any(w.refused for w in [*watchers.screens, *watchers.phones.values()])
