"""Closed hours and closing time, through the API, on the real broker and engine."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.contract import CloseDay
from tests.ticketing.conftest import StartHall, closed_today, closing_soon

pytestmark = pytest.mark.rabbitmq


async def test_outside_staffed_hours_the_kiosk_is_told_when_desks_open(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(closed_today(branch_id, days_ahead=3))

    status, body, _ = await hall.issue("pas")
    assert (status, body["code"]) == (409, "closed")
    opens_at = dt.datetime.fromisoformat(body["opens_at"])
    assert opens_at > dt.datetime.now(dt.UTC)
    assert (opens_at.hour, opens_at.minute) == (0, 0)

    status, services, _ = await hall.get(f"/api/v1/branches/{branch_id}/services")
    assert status == 200
    assert services["open"] is False
    assert services["staffed_until"] is None
    assert services["opens_at"]["in_days"] == 3
    assert services["opens_at"]["time"] == "00:00"
    assert dt.datetime.fromisoformat(services["opens_at"]["at"]) == opens_at
    assert {s["reason"] for s in services["services"]} == {"closed"}
    assert not any(s["open"] for s in services["services"])
    assert set(services["self_service"]) == {"open", "until"}


async def test_a_ticket_that_would_wait_past_closing_is_refused(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(closing_soon(branch_id, minutes=10))

    status, first, _ = await hall.issue("pas")  # nobody ahead: no wait
    assert status == 201, first
    status, second, _ = await hall.issue("pas")  # one hour-long ticket ahead, 2 desks: 30 min

    assert (status, second["code"]) == (409, "would_exceed_closing")
    assert second["estimated_wait_s"] == 1800
    assert dt.datetime.fromisoformat(second["closes_at"]) > dt.datetime.now(dt.UTC)

    await hall.settle()
    _, services, _ = await hall.get(f"/api/v1/branches/{branch_id}/services")
    by_id = {s["id"]: s for s in services["services"]}
    assert services["open"] is True
    assert (by_id["pas"]["open"], by_id["pas"]["reason"]) == (False, "would_exceed_closing")
    assert (by_id["bibliotek"]["open"], by_id["bibliotek"]["reason"]) == (True, None)


async def test_a_day_closed_by_staff_refuses_until_tomorrow(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall()
    await hall.do(CloseDay())

    status, body, _ = await hall.issue("pas")
    assert (status, body["code"]) == (409, "closed")

    _, services, _ = await hall.get(f"/api/v1/branches/{branch_id}/services")
    assert (services["open"], services["day_closed"]) == (False, True)
    assert services["opens_at"]["in_days"] == 1
    assert dt.datetime.fromisoformat(services["opens_at"]["at"]) == dt.datetime.fromisoformat(
        body["opens_at"]
    )
