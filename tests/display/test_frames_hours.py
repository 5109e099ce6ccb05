"""The `hours` frames: when the hall opens and when its desks close, by the clock and by staff."""

from __future__ import annotations

from shared.contract import DayClosed
from tests.display.frames_kit import Screens
from tests.projection.branch import local
from tests.support.branch import Days

WEEKDAYS_10_TO_16: Days = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("10:00-16:00",))


def test_a_closed_hall_says_when_it_opens_the_kiosks_way() -> None:
    hall = Screens("service", staffed=WEEKDAYS_10_TO_16)
    hall.log.now = local(2026, 12, 4, 17, 0)  # Friday after closing: Monday 10:00

    snapshot = hall.screens.snapshot(hall.state, "service", hall.log.now, fresh=True)

    assert snapshot["hours"] == {
        "open": False,
        "closes_at": None,
        "opens_at": "2026-12-07T10:00:00+01:00",
    }


def test_screens_are_told_when_the_desks_close_by_the_clock_and_by_staff() -> None:
    hall = Screens("service", staffed=WEEKDAYS_10_TO_16)
    assert hall.snapshots["service"]["hours"]["closes_at"] == "2026-11-30T16:00:00+01:00"

    unchanged = hall.screens.hours_update(hall.state, local(2026, 11, 30, 15, 59))
    closed = hall.screens.hours_update(hall.state, local(2026, 11, 30, 16, 0))
    opened = hall.screens.hours_update(hall.state, local(2026, 12, 1, 10, 0))
    by_staff = hall.add(DayClosed(cancelled=[]))["service"]

    assert unchanged is None
    assert closed == {
        "type": "hours",
        "seq": 0,
        "open": False,
        "closes_at": None,
        "opens_at": "2026-12-01T10:00:00+01:00",
    }
    assert opened is not None and opened["open"] is True
    # Closed for the day by staff: open again on the next day's hours, not later today.
    assert by_staff[-1]["type"] == "hours"
    assert by_staff[-1]["open"] is False
    assert by_staff[-1]["opens_at"] == "2026-12-01T10:00:00+01:00"
