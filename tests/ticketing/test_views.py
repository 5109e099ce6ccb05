"""The API's answers as pure functions of config, state and time (no bus, no clock)."""

from __future__ import annotations

import datetime as dt

from services.ticketing.views import services_view, ticket_view
from tests.engine.hall import Hall
from tests.projection.branch import local
from tests.ticketing.conftest import branch_config

MONDAY_ONLY = {"mon": ["10:00-15:00"]}


def hall_at(now: dt.datetime) -> Hall:
    config = branch_config(
        "viewhall", staffed=MONDAY_ONLY, service_time_min=10, timezone="Europe/Copenhagen"
    )
    return Hall(config, now)


def test_before_opening_the_kiosk_is_told_today_at_ten() -> None:
    hall = hall_at(local(2026, 11, 30, 9, 0))
    view = services_view(hall.config, hall.state, hall.now)
    assert view["open"] is False
    assert view["opens_at"] == {
        "at": "2026-11-30T10:00:00+01:00",
        "time": "10:00",
        "weekday": "mon",
        "in_days": 0,
    }
    assert view["self_service"] == {"open": True, "until": "22:00"}
    assert all(s["reason"] == "closed" and not s["open"] for s in view["services"])


def test_after_closing_the_next_opening_is_next_week() -> None:
    hall = hall_at(local(2026, 11, 30, 16, 0))
    view = services_view(hall.config, hall.state, hall.now)
    assert view["opens_at"]["in_days"] == 7
    assert view["opens_at"]["weekday"] == "mon"
    assert view["staffed_until"] is None


def test_at_night_self_service_is_closed_too() -> None:
    hall = hall_at(local(2026, 12, 1, 23, 30))
    view = services_view(hall.config, hall.state, hall.now)
    assert view["self_service"] == {"open": False, "until": None}
    assert view["opens_at"]["in_days"] == 6


def test_near_closing_a_long_queue_greys_only_its_own_service() -> None:
    hall = hall_at(local(2026, 11, 30, 14, 50))
    for _ in range(3):  # the third waits 2 x 10 min / 2 desks: exactly until 15:00, fits
        hall.issue("pas")
    # The next would wait 3 x 10 min / 2 desks = 15 min: past 15:00.
    view = services_view(hall.config, hall.state, hall.now)
    by_id = {s["id"]: s for s in view["services"]}
    assert view["open"] is True
    assert view["staffed_until"]["time"] == "15:00"
    assert (by_id["pas"]["open"], by_id["pas"]["reason"]) == (False, "would_exceed_closing")
    assert by_id["pas"]["estimated_wait_s"] == 900
    assert (by_id["bibliotek"]["open"], by_id["bibliotek"]["reason"]) == (True, None)
    # The engine agrees: the next passport ticket is refused.
    assert hall.refused("issue_ticket", service="pas") == "would_exceed_closing"


def test_a_called_ticket_names_its_desk_and_a_waiting_one_its_place() -> None:
    hall = hall_at(local(2026, 11, 30, 10, 0))
    first = hall.issue("pas")["ticket_id"]
    second = hall.issue("pas")["ticket_id"]
    hall.open("service-2")
    hall.ok("call_next", counter="service-2")
    hall.tick(60)

    called = ticket_view(hall.config, hall.state, hall.state.tickets[first], hall.now)
    waiting = ticket_view(hall.config, hall.state, hall.state.tickets[second], hall.now)

    assert called["status"] == "called"
    assert (called["counter"], called["counter_name"]) == ("service-2", "Skranke 2")
    assert (called["position"], called["estimated_wait_s"]) == (None, None)
    assert called["service_name"] == {"da": "Pas", "en": "Passport"}
    assert called["area_name"] == "SERVICE"
    assert waiting["status"] == "waiting"
    # One open desk, still busy for 9 of its 10 minutes.
    assert (waiting["position"], waiting["estimated_wait_s"]) == (1, 540)
    assert waiting["counter"] is None
    assert called["seq"] == waiting["seq"] == hall.state.seq


def test_a_paused_service_stays_listed_with_why_until_its_pause_ends() -> None:
    hall = hall_at(local(2026, 11, 30, 11, 0))
    hall.ok("pause_service", service="pas", until=local(2026, 11, 30, 14, 0))
    hall.ok("pause_service", service="skat")
    view = services_view(hall.config, hall.state, hall.now)
    by_id = {s["id"]: s for s in view["services"]}
    assert {k: by_id["pas"][k] for k in ("open", "reason", "paused", "paused_until")} == {
        "open": False,
        "reason": "paused",
        "paused": True,
        "paused_until": "14:00",
    }
    assert (by_id["skat"]["paused"], by_id["skat"]["paused_until"]) == (True, None)
    others = [s for s in view["services"] if s["id"] not in ("pas", "skat")]
    assert others and all(s["open"] and not s["paused"] for s in others)

    hall.set_clock(local(2026, 11, 30, 14, 0))
    after = {s["id"]: s for s in services_view(hall.config, hall.state, hall.now)["services"]}
    assert (after["pas"]["open"], after["pas"]["paused"], after["pas"]["reason"]) == (
        True,
        False,
        None,
    )
