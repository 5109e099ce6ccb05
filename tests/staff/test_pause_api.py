"""A manager pauses and resumes a service through the staff API (the hall is at 10:MM now)."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.projection import local_day, local_time
from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall

PAUSE = "/api/v1/branches/{branch}/services/pas/pause"
RESUME = "/api/v1/branches/{branch}/services/pas/resume"
TICKETS = "/api/v1/branches/{branch}/tickets"


async def test_a_manager_pauses_until_a_time_and_resumes(hall: Hall) -> None:
    waiting = await hall.issue("pas")
    status, body, _ = await hall.call("POST", PAUSE, token=MANAGER_TOKEN, body={"until": "14:00"})
    assert status == 200, body
    until = dt.datetime.fromisoformat(body["until"])
    assert local_time(hall.config, until).strftime("%H:%M") == "14:00"
    assert local_time(hall.config, until).date() == local_day(hall.config, dt.datetime.now(dt.UTC))
    assert (body["service"], body["paused"], body["paused_until"], body["staff"]) == (
        "pas",
        True,
        "14:00",
        "mads",
    )

    status, problem, response = await hall.call("POST", TICKETS, body={"service": "pas"})
    assert (status, problem["code"]) == (409, "paused")
    assert response.content_type == "application/problem+json"
    assert dt.datetime.fromisoformat(problem["until"]) == until

    await hall.desk("service-2", "open")
    status, called = await hall.desk("service-2", "call-next")
    assert (status, called["number"]) == (200, waiting["number"]), "the queue goes on"

    status, body, _ = await hall.call("POST", RESUME, token=MANAGER_TOKEN)
    assert (status, body["paused"], body["paused_until"]) == (200, False, None)
    assert (await hall.issue("pas"))["number"] == "P002"
    status, body, _ = await hall.call("POST", RESUME, token=MANAGER_TOKEN)
    assert (status, body["code"]) == (409, "not_paused")


async def test_pause_and_resume_are_for_managers_only(embedded_hall: Hall) -> None:
    for path in (PAUSE, RESUME):
        status, body, _ = await embedded_hall.call("POST", path, token=STAFF_TOKEN)
        assert (status, body["code"]) == (403, "forbidden"), path
    # The staff member's try paused nothing.
    assert (await embedded_hall.issue("pas"))["number"] == "P001"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"until": "9:00"}, 422, "invalid_request"),
        ({"until": "24:00"}, 422, "invalid_request"),
        ({"until": "14:00", "why": "lunch"}, 422, "invalid_request"),
        ({"until": "00:00"}, 409, "in_the_past"),  # today's midnight has passed at 10:MM
    ],
)
async def test_a_bad_until_is_refused_naming_it(
    embedded_hall: Hall, body: object, status: int, code: str
) -> None:
    got, problem, response = await embedded_hall.call("POST", PAUSE, token=MANAGER_TOKEN, body=body)
    assert (got, problem["code"]) == (status, code)
    assert response.content_type == "application/problem+json"
    if status == 422:
        assert problem.get("field") in ("until", "why")
    assert (await embedded_hall.issue("pas"))["number"] == "P001"


async def test_an_unknown_service_is_404(embedded_hall: Hall) -> None:
    path = "/api/v1/branches/{branch}/services/nope/pause"
    status, problem, _ = await embedded_hall.call("POST", path, token=MANAGER_TOKEN)
    assert (status, problem["code"]) == (404, "unknown_service")
