"""CommandClient: engine replies and bus failures become HTTP problems."""

from __future__ import annotations

import pytest

from shared.bus import Bus, CommandDelivery
from shared.contract import CallNext, IssueTicket, Reply
from shared.http import ProblemError
from shared.runtime.commands import CommandClient, refusal_status
from tests.support.buses import BusFactory


@pytest.fixture
async def bus(embedded: BusFactory) -> Bus:
    """One connection to an embedded broker of the test's own."""
    return await embedded()


async def answer_with(bus: Bus, reply: Reply) -> list[CommandDelivery]:
    seen: list[CommandDelivery] = []

    async def handler(delivery: CommandDelivery) -> Reply:
        seen.append(delivery)
        return reply

    await bus.consume_commands("hall", handler)
    return seen


async def test_a_result_comes_back_and_the_id_is_the_given_one(bus: Bus) -> None:
    seen = await answer_with(bus, Reply.success({"number": "P001"}))
    result = await CommandClient(bus).send(
        "hall", IssueTicket(service="pas"), actor="kiosk", command_id="key-1"
    )
    assert result == {"number": "P001"}
    assert seen[0].command.id == "key-1"
    assert seen[0].command.type == "issue_ticket"
    assert seen[0].command.actor == "kiosk"


async def test_a_refusal_is_a_problem_with_its_code_and_details(bus: Bus) -> None:
    await answer_with(bus, Reply.failure("closed", "closed now", {"opens_at": "x"}))
    with pytest.raises(ProblemError) as caught:
        await CommandClient(bus).send("hall", IssueTicket(service="pas"), actor="kiosk")
    assert (caught.value.status, caught.value.code) == (409, "closed")
    assert caught.value.extra == {"opens_at": "x"}


async def test_no_engine_is_503_with_retry_after(bus: Bus) -> None:
    client = CommandClient(bus, timeout_s=0.1, attempts=1)
    with pytest.raises(ProblemError) as caught:
        await client.send("nobody-home", CallNext(counter="d"), actor="s")
    assert caught.value.status == 503
    assert caught.value.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("no_waiting_ticket", 404),
        ("unknown_service", 404),
        ("counter_closed", 409),
        ("would_exceed_closing", 409),
        ("not_skilled", 422),
        ("unavailable", 503),
    ],
)
def test_refusal_statuses(code: str, status: int) -> None:
    assert refusal_status(code) == status
