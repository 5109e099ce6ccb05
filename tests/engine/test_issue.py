"""issue_ticket: numbering, priority, refusals for closed hours and unknown services."""

from __future__ import annotations

from services.routing.engine import CountingIds, RandomIds
from shared.contract import EventType
from tests.engine.hall import Hall
from tests.projection.branch import local, make_config

WEEKDAYS_10_TO_15 = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ["10:00-15:00"])


def test_numbers_count_from_001_per_prefix() -> None:
    hall = Hall()
    numbers = [hall.issue(s)["number"] for s in ("pas", "pas", "skat", "pas", "bibliotek")]
    assert numbers == ["P001", "P002", "S001", "P003", "L001"]


def test_the_result_says_where_the_ticket_stands() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    first = hall.issue("pas")
    second = hall.issue("pas")
    assert second == {
        "ticket_id": second["ticket_id"],
        "number": "P002",
        "service": "pas",
        "area": "service",
        "priority": 0,
        "position": 2,
        "estimated_wait_s": 8 * 60,
        "issued_at": hall.now.isoformat(),
    }
    assert first["ticket_id"] != second["ticket_id"]
    event = hall.log[-1]
    assert event.type is EventType.TICKET_ISSUED
    assert event.data.model_dump()["channel"] == "kiosk"


def test_a_priority_ticket_goes_before_normal_ones() -> None:
    hall = Hall()
    hall.issue("pas")
    hall.issue("pas")
    vip = hall.ok("issue_ticket", service="pas", priority=1, channel="staff")
    assert vip["position"] == 1
    assert hall.ticket(vip["ticket_id"]).priority == 1


def test_an_unknown_service_is_refused() -> None:
    assert Hall().refused("issue_ticket", service="fiskekort") == "unknown_service"


def test_outside_staffed_hours_is_closed_with_the_next_opening() -> None:
    config = make_config(staffed=WEEKDAYS_10_TO_15)
    hall = Hall(config, now=local(2026, 11, 30, 9, 30))
    reply = hall.run("issue_ticket", service="pas")
    assert reply.error is not None and reply.error.code == "closed"
    assert "2026-11-30T10:00:00+01:00" in reply.error.message
    assert reply.error.details == {"opens_at": "2026-11-30T10:00:00+01:00"}
    hall.now = local(2026, 12, 4, 15, 0)  # Friday at closing: next is Monday
    hall.state = hall.state.fresh(config, hall.now.date())
    reply = hall.run("issue_ticket", service="pas")
    assert reply.error is not None and "2026-12-07T10:00:00+01:00" in reply.error.message
    assert not hall.log


def test_a_wait_past_closing_time_is_refused() -> None:
    config = make_config(staffed=WEEKDAYS_10_TO_15)
    hall = Hall(config, now=local(2026, 11, 30, 14, 40))
    hall.open("service-1", ["pas"])
    # One desk, 8 min each: the 4th ticket would wait 24 min, to 15:04.
    for _ in range(3):
        hall.issue("pas")
    refused = hall.run("issue_ticket", service="pas")
    assert refused.error is not None and refused.error.code == "would_exceed_closing"
    assert refused.error.details == {
        "closes_at": "2026-11-30T15:00:00+01:00",
        "estimated_wait_s": 3 * 8 * 60,
    }
    # Another desk halves the wait: the ticket fits again.
    hall.open("service-2", ["pas"])
    assert hall.issue("pas")["estimated_wait_s"] == 3 * 8 * 60 // 2


def test_after_close_day_no_ticket_is_issued_until_the_next_opening() -> None:
    config = make_config(staffed=WEEKDAYS_10_TO_15)
    hall = Hall(config, now=local(2026, 11, 30, 12))
    hall.ok("close_day")
    reply = hall.run("issue_ticket", service="pas")
    assert reply.error is not None and reply.error.code == "closed"
    assert "2026-12-01T10:00:00+01:00" in reply.error.message


class StutteringIds(CountingIds):
    """Hands out the first ticket id twice, like an unlucky random source."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def ticket_id(self) -> str:
        self.calls += 1
        return "t1" if self.calls <= 2 else super().ticket_id()


def test_ticket_ids_are_fresh_even_if_the_source_repeats() -> None:
    hall = Hall()
    hall.ids = StutteringIds()
    first = hall.issue("pas")["ticket_id"]
    assert hall.issue("pas")["ticket_id"] != first


def test_production_ticket_ids_are_long_and_random() -> None:
    ids = RandomIds()
    drawn = {ids.ticket_id() for _ in range(100)}
    assert len(drawn) == 100 and all(len(t) >= 22 for t in drawn)
