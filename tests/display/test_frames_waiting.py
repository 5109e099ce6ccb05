"""The snapshot and the `waiting` frames: each queue's figures on its area's screens."""

from __future__ import annotations

from shared.contract import ServicePaused, ServiceResumed, TicketIssued
from tests.display.frames_kit import Screens, types
from tests.projection.branch import local


def test_the_snapshot_of_a_quiet_morning() -> None:
    hall = Screens("service")

    snapshot = hall.snapshots["service"]

    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 0
    assert snapshot["serving"] == [] and snapshot["recent"] == []
    assert snapshot["area"] == {"id": "service", "name": "SERVICE"}
    assert snapshot["branch"] == {
        "id": "testhall",
        "name": "Test Hall",
        "timezone": "Europe/Copenhagen",
    }
    assert snapshot["hours"] == {
        "open": True,
        "closes_at": "2026-12-01T00:00:00+01:00",
        "opens_at": None,
    }
    assert set(snapshot["waiting"]) == {"pas", "skat", "boligstoette"}
    assert snapshot["waiting"]["pas"] == {
        "count": 0,
        "name_da": "pas",
        "name_en": "pas",
        "estimated_wait_s": 0,
        "open_desks": 0,
        "paused": False,
        "paused_until": None,
    }


def test_pausing_and_resuming_a_service_sends_its_area_a_waiting_frame() -> None:
    """The kiosk learns of a pause from this frame, not from its 30 s poll."""
    hall = Screens("service", "kvik")

    paused = hall.add(ServicePaused(service="pas", until=local(2026, 11, 30, 14, 0), staff="m1"))
    resumed = hall.add(ServiceResumed(service="pas", staff="m1"))

    assert types(paused, "service") == ["waiting"]
    assert "kvik" not in paused  # another area's figures did not change
    shown = paused["service"][0]["waiting"]
    assert shown["pas"]["paused"] is True and shown["pas"]["paused_until"] == "14:00"
    assert shown["skat"]["paused"] is False
    assert types(resumed, "service") == ["waiting"]
    back = resumed["service"][0]["waiting"]["pas"]
    assert back == {**shown["pas"], "paused": False, "paused_until": None}


def test_a_pause_until_resumed_has_no_end_and_one_that_lapses_is_sent_by_the_clock() -> None:
    hall = Screens("service")
    open_ended = hall.add(ServicePaused(service="skat", until=None, staff="m1"))
    hall.add(ServicePaused(service="pas", until=local(2026, 11, 30, 10, 30), staff="m1"))

    before = hall.screens.figure_updates(hall.state, local(2026, 11, 30, 10, 29))
    lapsed = hall.screens.figure_updates(hall.state, local(2026, 11, 30, 10, 30))

    skat = open_ended["service"][0]["waiting"]["skat"]
    assert skat["paused"] is True and skat["paused_until"] is None
    assert before == {}
    assert lapsed["service"][0]["waiting"]["pas"]["paused"] is False


def test_issuing_changes_only_the_waiting_figures_of_its_area() -> None:
    hall = Screens("service", "kvik")

    frames = hall.add(
        TicketIssued(
            ticket_id="t1",
            number="L001",
            service="bibliotek",
            area="kvik",
            channel="kiosk",
            issued_at=hall.now,
        )
    )

    assert types(frames, "kvik") == ["waiting"]
    assert frames["kvik"][0]["waiting"]["bibliotek"]["count"] == 1
    assert "service" not in frames


def test_a_screen_that_joins_gets_the_figures_the_others_were_sent() -> None:
    """A joining screen must not show newer estimates than its neighbours."""
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")
    hall.issue("pas", "service", "P")
    shown = hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)["waiting"]
    hall.log.tick(45)  # the desk's expected remaining time shrinks with time

    joined = hall.screens.snapshot(hall.state, "service", hall.now, fresh=False)
    update = hall.screens.waiting_update(
        hall.state, "service", hall.screens.figures(hall.state, hall.now), hall.now
    )

    assert joined["waiting"] == shown
    assert update is not None and update["waiting"] != shown
