"""CommandClient: engine replies and bus failures become HTTP problems."""

from __future__ import annotations

import datetime as dt

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
    answer = await CommandClient(bus).send(
        "hall", IssueTicket(service="pas"), actor="kiosk", command_id="key-1"
    )
    assert (answer.result, answer.replayed) == ({"number": "P001"}, False)
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


async def test_a_retry_is_told_as_one(bus: Bus) -> None:
    await answer_with(bus, Reply(ok=True, result={"number": "P001"}, replayed=True))
    answer = await CommandClient(bus).send("hall", IssueTicket(service="pas"), actor="kiosk")
    assert (answer.result, answer.replayed) == ({"number": "P001"}, True)


async def test_a_reused_key_is_422_naming_the_header(bus: Bus) -> None:
    await answer_with(bus, Reply.failure("idempotency_key_reused", "used for another request"))
    with pytest.raises(ProblemError) as caught:
        await CommandClient(bus).send("hall", IssueTicket(service="pas"), actor="kiosk")
    assert (caught.value.status, caught.value.code) == (422, "idempotency_key_reused")
    assert caught.value.extra["field"] == "Idempotency-Key"


async def test_the_command_is_stamped_by_the_injected_clock(bus: Bus) -> None:
    seen = await answer_with(bus, Reply.success({}))
    at = dt.datetime(2026, 3, 29, 1, 59, tzinfo=dt.UTC)
    await CommandClient(bus, clock=lambda: at).send("hall", CallNext(counter="d"), actor="s")
    assert seen[0].command.at == at
