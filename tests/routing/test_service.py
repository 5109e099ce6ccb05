"""The routing service on either bus: poison commands, retries, the log it writes."""

from __future__ import annotations

import asyncio

from shared.bus import Bus
from shared.config import BranchConfig
from shared.contract import (
    CallNext,
    CommandType,
    EventType,
    IssueTicket,
    OpenCounter,
    PauseService,
    ResumeService,
)
from tests.routing.conftest import StartRouting
from tests.routing.conftest import typed_command as command
from tests.services.conftest import BusFactory
from tests.support.events import read_back


async def read_log(bus: Bus, config: BranchConfig) -> list[EventType]:
    """Every event of the branch today, read up to a marker of our own."""
    _live, applied = await read_back(bus, config)
    return [event.type for event in applied]


async def test_a_poison_command_is_dead_lettered_and_the_engine_goes_on(
    client: Bus, branches: dict[str, BranchConfig]
) -> None:
    (branch,) = branches

    poison = b'{"v": 1, "type": "issue_ticket", "branch": "' + branch.encode() + b'"}'
    await client.send_raw_command(branch, poison)
    reply = await client.request(
        command(branch, CommandType.OPEN_COUNTER, OpenCounter(counter="desk-1")), timeout=10
    )

    assert reply.ok, reply.error
    dead: list[bytes] = []
    async with asyncio.timeout(10):
        while poison not in dead:
            dead += await client.dead_commands()


async def test_a_retried_command_is_answered_alike_and_written_once(
    client: Bus, branches: dict[str, BranchConfig]
) -> None:
    (branch,) = branches
    issue = command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas"))

    first = await client.request(issue, timeout=10)
    again = await client.request(issue, timeout=10)

    assert first.ok and again.ok and first.result and again.result
    assert again.result["ticket_id"] == first.result["ticket_id"]
    assert again.result["number"] == first.result["number"] == "P001"
    log = await read_log(client, branches[branch])
    assert log == [EventType.TICKET_ISSUED]


async def test_a_pause_travels_the_bus_and_refuses_tickets_until_resumed(
    client: Bus, branches: dict[str, BranchConfig]
) -> None:
    (branch,) = branches
    paused = await client.request(
        command(branch, CommandType.PAUSE_SERVICE, PauseService(service="pas")), timeout=10
    )
    refused = await client.request(
        command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas")), timeout=10
    )
    resumed = await client.request(
        command(branch, CommandType.RESUME_SERVICE, ResumeService(service="pas")), timeout=10
    )
    issued = await client.request(
        command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas")), timeout=10
    )

    assert paused.ok and paused.result == {
        "service": "pas",
        "paused": True,
        "until": None,
        "staff": "test",
    }
    assert refused.error is not None and refused.error.code == "paused"
    assert resumed.ok and issued.ok and issued.result and issued.result["number"] == "P001"
    log = await read_log(client, branches[branch])
    assert log == [EventType.SERVICE_PAUSED, EventType.SERVICE_RESUMED, EventType.TICKET_ISSUED]


async def test_the_log_survives_a_routing_restart(
    bus_factory: BusFactory, start_routing: StartRouting, branches: dict[str, BranchConfig]
) -> None:
    (branch,) = branches
    first = await start_routing(await bus_factory())
    client = await bus_factory()
    one = await client.request(
        command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas")), timeout=10
    )
    await first.stop()

    await start_routing(await bus_factory())
    two = await client.request(
        command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas")), timeout=10
    )

    assert one.result is not None and two.result is not None
    assert (one.result["number"], two.result["number"]) == ("P001", "P002")


async def test_a_burst_of_commands_is_answered_as_one_at_a_time_would(
    client: Bus, branches: dict[str, BranchConfig]
) -> None:
    (branch,) = branches
    issues = [
        command(branch, CommandType.ISSUE_TICKET, IssueTicket(service="pas")) for _ in range(30)
    ]
    calls = [command(branch, CommandType.CALL_NEXT, CallNext(counter="desk-1")) for _ in range(3)]
    opened = await client.request(
        command(branch, CommandType.OPEN_COUNTER, OpenCounter(counter="desk-1")), timeout=10
    )
    assert opened.ok, opened.error

    replies = await asyncio.gather(*(client.request(c, timeout=10) for c in [*issues, *calls]))

    issued, called = replies[:30], replies[30:]
    assert all(r.ok and r.result for r in issued), [r.error for r in issued if not r.ok]
    numbers = sorted(str(r.result["number"]) for r in issued if r.result)
    assert numbers == [f"P{n:03}" for n in range(1, 31)]
    # A call that overtook every ticket finds none waiting; the others each call one.
    assert all(r.ok or (r.error and r.error.code == "no_waiting_ticket") for r in called)
    log = await read_log(client, branches[branch])
    assert log.count(EventType.TICKET_ISSUED) == 30
    assert log.count(EventType.TICKET_CALLED) == sum(r.ok for r in called)
    # Sent again, each is answered from its first result, and nothing more is written.
    again = await asyncio.gather(*(client.request(c, timeout=10) for c in issues))
    assert all(a.replayed for a in again)
    assert [a.result and a.result["ticket_id"] for a in again] == [
        r.result and r.result["ticket_id"] for r in issued
    ]
    assert len(await read_log(client, branches[branch])) == len(log)
