"""The citizen API on a real broker with a running queue engine."""

from __future__ import annotations

import re
import uuid

import pytest

from services.ticketing.options import TicketingOptions
from shared.contract import (
    CallNext,
    Finish,
    NoShow,
    OpenCounter,
    PauseService,
    Recall,
    ResumeService,
    StartServing,
)
from tests.ticketing.conftest import Hall, StartHall

pytestmark = pytest.mark.rabbitmq


def key() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("bus", ["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def test_issue_then_read_it_back_at_once(start_hall: StartHall, bus: str) -> None:
    hall = await start_hall(bus=bus)
    for expected in ("P001", "P002", "P003"):
        status, body, headers = await hall.issue("pas")
        assert status == 201, body
        assert body["number"] == expected
        assert headers["Location"] == body["status_url"]
        assert body["status_url"] == f"/api/v1/branches/{hall.branch}/tickets/{body['ticket_id']}"
        # Read your own write: no settling, straight after the 201.
        got = await hall.ticket(body["ticket_id"])
        assert (got["number"], got["status"]) == (expected, "waiting")

    assert set(body) >= {
        "ticket_id",
        "number",
        "service",
        "area",
        "position",
        "estimated_wait_s",
        "issued_at",
        "status_url",
    }
    assert (body["service"], body["area"], body["area_name"]) == ("pas", "service", "SERVICE")
    assert body["service_name"] == {"da": "Pas", "en": "Passport"}
    # Two desks take passports; two tickets ahead at 10 minutes each.
    assert (body["position"], body["estimated_wait_s"]) == (3, 600)
    assert body["phone_url"] == hall.url(f"/t/{hall.branch}/{body['ticket_id']}")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["ticket_id"])


async def test_the_service_list_has_live_figures(hall: Hall) -> None:
    await hall.issue("pas")
    await hall.issue("pas")
    await hall.issue("bibliotek")
    await hall.settle()

    status, body, headers = await hall.get(f"/api/v1/branches/{hall.branch}/services")

    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert body["open"] is True and body["opens_at"] is None
    assert body["staffed_until"]["time"] == "00:00"
    services = {s["id"]: s for s in body["services"]}
    assert list(services) == ["bibliotek", "pas", "skat"]
    assert services["pas"] == {
        "id": "pas",
        "name": {"da": "Pas", "en": "Passport"},
        "area": "service",
        "area_name": "SERVICE",
        "prefix": "P",
        "open": True,
        "reason": None,
        "paused": False,
        "paused_until": None,
        "waiting": 2,
        "open_desks": 0,
        "estimated_wait_s": 600,  # 2 tickets x 10 min shared by the 2 configured desks
        "target_wait_s": 900,
        "quiet_hours": [],  # no weeks of log before today
    }
    assert services["bibliotek"]["waiting"] == 1
    assert {a["id"]: a["waiting"] for a in body["areas"]} == {"kvik": 1, "service": 2}


async def test_a_paused_service_is_listed_as_paused_and_refuses_tickets(hall: Hall) -> None:
    waiting = (await hall.issue("pas"))[1]
    await hall.do(PauseService(service="pas"))

    _, body, _ = await hall.get(f"/api/v1/branches/{hall.branch}/services")
    pas = next(s for s in body["services"] if s["id"] == "pas")
    assert (pas["open"], pas["reason"], pas["paused"], pas["paused_until"]) == (
        False,
        "paused",
        True,
        None,
    )
    status, problem, headers = await hall.issue("pas")
    assert (status, problem["code"], problem["until"]) == (409, "paused", None)
    assert headers["Content-Type"].startswith("application/problem+json")
    assert (await hall.ticket(waiting["ticket_id"]))["status"] == "waiting"

    await hall.do(ResumeService(service="pas"))
    status, again, _ = await hall.issue("pas")
    assert (status, again["number"]) == (201, "P002")


async def test_a_retry_with_the_same_key_is_the_same_ticket(hall: Hall) -> None:
    same = key()
    first = await hall.issue("pas", key=same)
    await hall.settle()
    again = await hall.issue("pas", key=same)
    other = await hall.issue("pas", key=key())

    assert first[0] == again[0] == 201
    assert again[1]["ticket_id"] == first[1]["ticket_id"]
    assert again[1]["number"] == first[1]["number"] == "P001"
    assert other[1]["number"] == "P002"
    metrics = await hall.metrics()
    series = f'qms_tickets_issued_total{{branch="{hall.branch}",channel="kiosk",service="pas"}}'
    assert f"{series} 2.0" in metrics  # the retry is not a second ticket

    # The same key for another request is not a retry: refused by the engine
    # (any field, told from the log), nothing issued.
    status, body, _ = await hall.issue("skat", key=same)
    assert (status, body["code"], body["field"]) == (
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    status, body, _ = await hall.issue("pas", key=same, channel="web")
    assert (status, body["code"]) == (422, "idempotency_key_reused")
    assert f"{series} 2.0" in await hall.metrics()


async def test_status_goes_waiting_called_serving_finished(hall: Hall) -> None:
    _, first, _ = await hall.issue("pas")
    _, second, _ = await hall.issue("pas")
    ticket_id = first["ticket_id"]
    assert (await hall.ticket(second["ticket_id"]))["position"] == 2

    await hall.do(OpenCounter(counter="service-2"))
    await hall.do(CallNext(counter="service-2"))
    called = await hall.ticket(ticket_id)
    assert called["status"] == "called"
    assert (called["counter"], called["counter_name"]) == ("service-2", "Skranke 2")
    assert (called["position"], called["estimated_wait_s"]) == (None, None)
    assert (await hall.ticket(second["ticket_id"]))["position"] == 1

    await hall.do(StartServing(counter="service-2"))
    serving = await hall.ticket(ticket_id)
    assert (serving["status"], serving["counter_name"]) == ("serving", "Skranke 2")

    await hall.do(Finish(counter="service-2"))
    finished = await hall.ticket(ticket_id)
    assert (finished["status"], finished["counter"], finished["counter_name"]) == (
        "finished",
        None,
        None,
    )
    assert finished["seq"] > called["seq"]

    # The second is called, recalled twice, and not seen: no-show.
    await hall.do(CallNext(counter="service-2"))
    for _ in range(2):
        await hall.do(Recall(counter="service-2"))
    await hall.do(NoShow(counter="service-2"))
    gone = await hall.ticket(second["ticket_id"])
    assert (gone["status"], gone["counter"]) == ("no_show", None)


async def test_the_citizen_leaves_and_leaving_twice_answers_alike(hall: Hall) -> None:
    _, issued, _ = await hall.issue("pas")
    _, behind, _ = await hall.issue("pas")
    path = f"/api/v1/branches/{hall.branch}/tickets/{issued['ticket_id']}"

    async with hall.http.delete(hall.url(path)) as response:
        assert response.status == 200
        first = await response.json()
    async with hall.http.delete(hall.url(path)) as response:
        assert response.status == 200
        again = await response.json()
    await hall.settle()

    assert (
        first
        == again
        == {
            "ticket_id": issued["ticket_id"],
            "number": "P001",
            "reason": "citizen",
            "status": "cancelled",
        }
    )
    assert (await hall.ticket(issued["ticket_id"]))["status"] == "cancelled"
    assert (await hall.ticket(behind["ticket_id"]))["position"] == 1
    assert f'qms_tickets_cancelled_total{{branch="{hall.branch}"}} 1.0' in await hall.metrics()


async def test_a_ticket_at_the_desk_cannot_be_left_nor_an_ended_one(hall: Hall) -> None:
    _, serving, _ = await hall.issue("pas")
    _, done, _ = await hall.issue("pas")
    await hall.do(OpenCounter(counter="service-1"))
    await hall.do(OpenCounter(counter="service-2"))
    await hall.do(CallNext(counter="service-2"))
    await hall.do(CallNext(counter="service-1"))
    await hall.do(StartServing(counter="service-2"))
    await hall.do(Finish(counter="service-1"))

    for ticket, code in ((serving, "ticket_in_service"), (done, "ticket_ended")):
        path = f"/api/v1/branches/{hall.branch}/tickets/{ticket['ticket_id']}"
        async with hall.http.delete(hall.url(path)) as response:
            body = await response.json(content_type=None)
            assert (response.status, body["code"]) == (409, code)
            assert response.content_type == "application/problem+json"


async def test_unknown_branch_service_and_ticket_are_404(start_hall: StartHall) -> None:
    hall = await start_hall(options=_fast_404())
    nowhere = "/api/v1/branches/nowhere"
    for method, path in (
        ("GET", f"{nowhere}/services"),
        ("POST", f"{nowhere}/tickets"),
        ("GET", f"{nowhere}/tickets/abc"),
        ("DELETE", f"{nowhere}/tickets/abc"),
        ("GET", "/kiosk/nowhere"),
        ("GET", "/t/nowhere/abc"),
    ):
        async with hall.http.request(method, hall.url(path), json={"service": "pas"}) as response:
            body = await response.json(content_type=None)
            assert (response.status, body["code"]) == (404, "unknown_branch"), (method, path)

    status, body, _ = await hall.issue("nope")
    assert (status, body["code"], body["field"]) == (404, "unknown_service", "service")
    refused = f'qms_ticket_refusals_total{{branch="{hall.branch}",code="unknown_service"}} 1.0'
    assert refused in await hall.metrics()

    for ticket_id in ("AAAAAAAAAAAAAAAAAAAAAA", "no.such.ticket"):
        status, body, _ = await hall.get(f"/api/v1/branches/{hall.branch}/tickets/{ticket_id}")
        assert (status, body["code"]) == (404, "unknown_ticket")
    async with hall.http.delete(f"{hall.api}/tickets/AAAAAAAAAAAAAAAAAAAAAA") as response:
        body = await response.json(content_type=None)
        assert (response.status, body["code"]) == (404, "unknown_ticket")


def _fast_404() -> TicketingOptions:
    return TicketingOptions(read_own_write_s=0.2)


BAD_KEYS = ["short", "x" * 129, "has space in it 123456", "æøå-0123456789abcdef"]
NOT_AN_OBJECT = [b"{not json", b"", b"[]", b'"pas"', b"\xff\xfe"]
BAD_FIELDS: list[tuple[dict[str, object], str]] = [
    ({}, "service"),
    ({"service": ""}, "service"),
    ({"service": 7}, "service"),
    ({"service": "pas", "channel": "staff"}, "channel"),
    ({"service": "pas", "priority": 1}, "priority"),
]


async def test_malformed_requests_are_400_or_422_naming_the_field(hall: Hall) -> None:
    headers = {"Content-Type": "application/json"}
    for raw in NOT_AN_OBJECT:
        async with hall.http.post(f"{hall.api}/tickets", data=raw, headers=headers) as response:
            body = await response.json(content_type=None)
            assert response.content_type == "application/problem+json"
        assert (response.status, body["code"], body["status"]) == (400, "bad_json", 400), raw

    for sent, field in BAD_FIELDS:
        async with hall.http.post(f"{hall.api}/tickets", json=sent) as response:
            body = await response.json(content_type=None)
        assert (response.status, body["code"], body["field"]) == (422, "invalid_field", field)
        assert body["detail"].startswith(f"{field}: ")

    for bad in BAD_KEYS:
        status, body, _ = await hall.issue("pas", headers={"Idempotency-Key": bad})
        assert (status, body["code"], body["field"]) == (
            400,
            "invalid_idempotency_key",
            "Idempotency-Key",
        ), bad

    metrics = await hall.metrics()
    refusals = f'qms_ticket_refusals_total{{branch="{hall.branch}"'
    assert f'{refusals},code="bad_json"}} {len(NOT_AN_OBJECT)}.0' in metrics
    assert f'{refusals},code="invalid_field"}} {len(BAD_FIELDS)}.0' in metrics
    assert f'{refusals},code="invalid_idempotency_key"}} {len(BAD_KEYS)}.0' in metrics
    total = len(NOT_AN_OBJECT) + len(BAD_FIELDS) + len(BAD_KEYS)
    assert f"qms_ticket_issue_seconds_count {total}.0" in metrics
    assert "qms_tickets_issued_total{" not in metrics
