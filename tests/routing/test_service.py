"""The routing service on either bus: poison commands, retries, the log it writes."""

from __future__ import annotations

import asyncio

from shared.bus import Bus
from shared.config import BranchConfig
from shared.contract import (
    CommandType,
    EventType,
    IssueTicket,
    OpenCounter,
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
