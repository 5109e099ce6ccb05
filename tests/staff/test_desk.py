"""Every desk action through the staff API, end to end: staff -> routing -> log -> staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.staff.stats_service import read_day
from shared.contract import TicketIssued
from shared.projection import local_day
from tests.staff.conftest import MANAGER_TOKEN, Hall

HELD_ACTIONS = ("recall", "start", "finish", "no-show")


async def recalls_before_no_show(hall: Hall, counter: str = "service-1") -> int:
    """The overview's figure for the desk's ticket (what the console greys no-show out by)."""
    path = "/api/v1/branches/{branch}/overview"
    status, overview, _ = await hall.call("GET", path, token=MANAGER_TOKEN)
    assert status == 200, overview
    (desk,) = [c for c in overview["counters"] if c["counter"] == counter]
    return int(desk["ticket"]["recalls_before_no_show"])


async def test_a_day_at_one_desk_walks_through_every_action(hall: Hall) -> None:
    # Every action on a desk that is not open: 409 counter_closed.
    for action, body in [
        ("close", None),
        ("call-next", None),
        ("call", {"ticket_id": "x"}),
        *((a, None) for a in HELD_ACTIONS),
        ("transfer", {"service": "pas"}),
    ]:
        status, data = await hall.desk("service-1", action, body)
        assert (status, data["code"]) == (409, "counter_closed"), action

    status, data = await hall.desk("service-1", "open", {"services": ["bibliotek"]})
    assert (status, data["code"]) == (422, "not_skilled")
    status, data = await hall.desk("service-1", "open", {"services": ["pas"]})
    assert status == 200
    assert data == {
        "counter": "service-1",
        "staff": "anna",
        "services": ["pas"],
        "status": "open",
        "counter_name": "Skranke 1",
    }
    status, data = await hall.desk("service-1", "call-next")
    assert (status, data["code"]) == (404, "no_waiting_ticket")

    p001 = await hall.issue("pas")
    k001 = await hall.issue("koerekort")
    p002 = await hall.issue("pas", priority=1)
    assert [p001["number"], k001["number"], p002["number"]] == ["P001", "K001", "P002"]
    assert p002["channel"] == "staff" and p002["status_url"].endswith(p002["ticket_id"])

    # Priority first; the answer is the contract's called ticket.
    status, called = await hall.desk("service-1", "call-next")
    assert status == 200
    assert {k: called[k] for k in ("ticket_id", "number", "service", "counter", "status")} == {
        "ticket_id": p002["ticket_id"],
        "number": "P002",
        "service": "pas",
        "counter": "service-1",
        "status": "called",
    }
    assert await recalls_before_no_show(hall) == 2
    status, data = await hall.desk("service-1", "recall")
    assert (status, data["recalls"]) == (200, 1)
    assert await recalls_before_no_show(hall) == 1  # and the engine refuses a no-show:
    status, data = await hall.desk("service-1", "no-show")
    assert (status, data["code"]) == (409, "recalls_remaining")
    status, data = await hall.desk("service-1", "recall")
    assert (status, data["recalls"]) == (200, 2)
    assert await recalls_before_no_show(hall) == 0
    status, data = await hall.desk("service-1", "recall")
    assert (status, data["code"]) == (409, "max_recalls_reached")
    status, data = await hall.desk("service-1", "no-show")
    assert (status, data["status"], data["number"]) == (200, "no_show", "P002")

    # The desk takes pas only: K001 waits.
    status, data = await hall.desk("service-1", "call-next")
    assert (status, data["number"]) == (200, "P001")
    status, data = await hall.desk("service-1", "start")
    assert (status, data["status"]) == (200, "serving")
    status, data = await hall.desk("service-1", "recall")
    assert (status, data["code"]) == (409, "already_serving")
    status, data = await hall.desk("service-1", "finish")
    assert (status, data["status"], data["number"]) == (200, "finished", "P001")
    assert data["service_s"] >= 0
    status, data = await hall.desk("service-1", "finish")
    assert (status, data["code"]) == (409, "no_current_ticket")

    # Call one ticket by id, of any service; transfer it; call it again.
    status, data = await hall.desk("service-1", "call", {"ticket_id": k001["ticket_id"]})
    assert (status, data["number"], data["service"]) == (200, "K001", "koerekort")
    status, data = await hall.desk("service-1", "transfer", {"service": "pas", "position": "side"})
    assert (status, data["code"], data["field"]) == (422, "invalid_request", "position")
    status, data = await hall.desk("service-1", "transfer", {"service": "vielse"})
    assert (status, data["code"]) == (404, "unknown_service")
    status, data = await hall.desk("service-1", "transfer", {"service": "pas", "position": "front"})
    assert status == 200
    assert (data["number"], data["service"], data["position"], data["status"]) == (
        "K001",
        "pas",
        "front",
        "waiting",
    )
    status, data = await hall.desk("service-1", "call-next")
    assert (status, data["number"], data["service"]) == (200, "K001", "pas")

    status, data = await hall.desk("service-1", "close")
    assert (status, data["code"]) == (409, "counter_busy")
    status, data = await hall.desk("service-1", "transfer", {"service": "koerekort"})
    assert (status, data["position"]) == (200, "back")
    status, data = await hall.desk("service-1", "close")
    assert status == 200
    assert data == {"counter": "service-1", "status": "closed", "counter_name": "Skranke 1"}

    status, overview, _ = await hall.call(
        "GET", "/api/v1/branches/{branch}/overview", token=MANAGER_TOKEN
    )
    assert status == 200
    pas = service(overview, "pas")
    assert (pas["served"], pas["no_show"], pas["waiting"]) == (1, 1, 0)
    assert service(overview, "koerekort")["waiting"] == 1
    assert all(not c["open"] for c in overview["counters"])

    # On the log: tickets issued at the desk say so, with their priority.
    today = local_day(hall.config, dt.datetime.now(dt.UTC))
    events = await read_day(
        hall.bus, hall.config, today, writer="test", within_s=10, now=dt.datetime.now(dt.UTC)
    )
    issued = [e.data for e in events if isinstance(e.data, TicketIssued)]
    assert [(i.number, i.channel, i.priority) for i in issued] == [
        ("P001", "staff", 0),
        ("K001", "staff", 0),
        ("P002", "staff", 1),
    ]
    assert {e.writer for e in events} and all(e.branch == hall.branch for e in events)


def service(overview: dict[str, Any], service_id: str) -> dict[str, Any]:
    for area in overview["areas"]:
        for item in area["services"]:
            if item["service"] == service_id:
                return dict(item)
    raise AssertionError(service_id)


async def test_a_second_console_cannot_act_on_a_ticket_it_no_longer_has(
    embedded_hall: Hall,
) -> None:
    hall = embedded_hall
    await hall.desk("service-2", "open")
    await hall.issue("pas")
    await hall.issue("pas")
    status, first = await hall.desk("service-2", "call-next")
    assert first["number"] == "P001"
    # Console A calls the next one (which finishes P001); console B still shows P001.
    status, second = await hall.desk("service-2", "call-next")
    assert second["number"] == "P002"

    status, data = await hall.desk("service-2", "finish", {"number": "P001"})
    assert (status, data["code"], data["current"]) == (409, "ticket_changed", "P002")
    status, data = await hall.desk("service-2", "no-show", {"number": "P001"})
    assert (status, data["code"]) == (409, "ticket_changed")

    status, data = await hall.desk("service-2", "finish", {"number": "P002"})
    assert (status, data["number"]) == (200, "P002")
    # Nothing held any more: the engine's own refusal, whatever the console showed.
    status, data = await hall.desk("service-2", "finish", {"number": "P002"})
    assert (status, data["code"]) == (409, "no_current_ticket")


async def test_a_retried_request_with_the_same_idempotency_key_is_one_command(
    embedded_hall: Hall,
) -> None:
    hall = embedded_hall
    path = "/api/v1/branches/{branch}/tickets"
    first, second = "desk-key-0000-0001", "desk-key-0000-0002"
    answers = []
    for key in (first, first, second):
        status, data, _ = await hall.call(
            "POST", path, body={"service": "pas"}, headers={"Idempotency-Key": key}
        )
        assert status == 201
        answers.append(data["number"])
    assert answers == ["P001", "P001", "P002"]

    # The same key for another request is refused by the engine; nothing is issued.
    status, data, _ = await hall.call(
        "POST", path, body={"service": "pas", "priority": 1}, headers={"Idempotency-Key": first}
    )
    assert (status, data["code"], data["field"]) == (
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    # One key rule for every service: 16-128 characters of A-Za-z0-9._~:-
    for bad in ("k-1", "x" * 129, "has space in it!!"):
        status, data, _ = await hall.call(
            "POST", path, body={"service": "pas"}, headers={"Idempotency-Key": bad}
        )
        assert (status, data["code"], data["field"]) == (
            400,
            "invalid_idempotency_key",
            "Idempotency-Key",
        ), bad
    status, data, _ = await hall.call("POST", path, body={"service": "pas"})
    assert (status, data["number"]) == (201, "P003")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/branches/{branch}/tickets", {"service": "pas", "priority": 2}, "priority"),
        ("/api/v1/branches/{branch}/tickets", {"priority": 1}, "service"),
        ("/api/v1/branches/{branch}/tickets", [1], "(body)"),
        ("/api/v1/branches/{branch}/counters/service-1/open", {"services": "pas"}, "services"),
        ("/api/v1/branches/{branch}/counters/service-1/call", {}, "ticket_id"),
        ("/api/v1/branches/{branch}/counters/service-1/finish", {"numbr": "P1"}, "numbr"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(
    embedded_hall: Hall, path: str, body: object, field: str
) -> None:
    status, data, response = await embedded_hall.call("POST", path, body=body)
    assert status == 422
    assert response.content_type == "application/problem+json"
    assert (data["code"], data["field"]) == ("invalid_request", field)
    assert data["detail"].startswith(f"{field}: ")


async def test_an_unknown_desk_is_404(embedded_hall: Hall) -> None:
    status, data = await embedded_hall.desk("service-9", "open")
    assert (status, data["code"]) == (404, "unknown_counter")


async def test_a_desk_id_no_one_could_configure_is_404(embedded_hall: Hall) -> None:
    status, data = await embedded_hall.desk("d" * 300, "call-next")
    assert (status, data["code"]) == (404, "unknown_counter")
