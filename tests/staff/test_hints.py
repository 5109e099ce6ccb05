"""The overview's hints know the hall: which desks exist, which are open, who could help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.staff.overview import build_overview
from shared.config import load_branch_file
from tests.engine.hall import Hall
from tests.projection.branch import MONDAY_10
from tests.support.branch import ALL_WEEK, Branch, Desk, Service

MAGION = Path(__file__).resolve().parents[2] / "deploy" / "branches" / "magion.toml"


def hints(hall: Hall) -> dict[str, dict[str, Any]]:
    overview = build_overview(hall.state, hall.config, hall.now)
    assert overview["hints"] == [a["hint"] for a in overview["areas"] if a["hint"]]
    return {h["area"]: h for h in overview["hints"]}


def queue(hall: Hall, service: str, tickets: int) -> None:
    for _ in range(tickets):
        hall.issue(service)


def test_both_kvik_desks_open_in_magion_asks_for_no_desk() -> None:
    hall = Hall(load_branch_file(MAGION), MONDAY_10)
    hall.open("kvik-1")
    hall.open("kvik-2")
    queue(hall, "bibliotek", 6)  # 6 x 3 min over 2 desks: 9 min against 5
    kvik = hints(hall)["kvik"]
    assert kvik["kind"] == "at_limit"
    assert (kvik["counter"], kvik["services"]) == (None, [])
    assert kvik["text"]["da"] == (
        "KVIK er ved grænsen: alle skranker, der kan tage Bibliotek, er åbne; "
        "ventetiden er 9 min, målet er 5 min (Bibliotek)"
    )
    assert "Åbn" not in kvik["text"]["da"] and "Open" not in kvik["text"]["en"]


def test_a_closed_desk_of_the_area_is_named_and_never_an_open_one() -> None:
    hall = Hall(load_branch_file(MAGION), MONDAY_10)
    hall.open("kvik-1")
    queue(hall, "bibliotek", 4)  # 4 x 3 min at one desk: 12 min against 5
    kvik = hints(hall)["kvik"]
    assert (kvik["kind"], kvik["counter"], kvik["counter_name"]) == (
        "open_desk",
        "kvik-2",
        "KVIK 2",
    )
    assert kvik["services"] == ["bibliotek", "sundhedskort", "flytning"]
    assert kvik["text"] == {
        "da": "Åbn KVIK 2 i KVIK: ventetiden er 12 min, målet er 5 min (Bibliotek)",
        "en": "Open KVIK 2 in KVIK: the wait is 12 min, the target is 5 min (Library)",
    }


def test_only_a_desk_skilled_for_the_late_service_is_named() -> None:
    hall = Hall(load_branch_file(MAGION), MONDAY_10)
    hall.open("service-1", ["pas"])
    queue(hall, "skat", 8)  # nobody takes skat: service-3 can, service-2 and -4 cannot
    service = hints(hall)["service"]
    assert (service["kind"], service["counter"]) == ("open_desk", "service-3")


def test_an_open_desk_without_the_service_is_asked_to_take_it_too() -> None:
    hall = Hall(load_branch_file(MAGION), MONDAY_10)
    hall.open("kvik-1", ["sundhedskort"])
    hall.open("kvik-2")
    queue(hall, "bibliotek", 4)  # kvik-2 alone takes it: 12 min against 5
    kvik = hints(hall)["kvik"]
    assert (kvik["kind"], kvik["counter"]) == ("add_service", "kvik-1")
    assert kvik["services"] == ["sundhedskort", "bibliotek"]
    assert kvik["text"]["da"].startswith("Lad KVIK 1 (staff-1) også tage Bibliotek: ")


def crossed(tmp: Path) -> Hall:
    """KVIK with two library desks; SERVICE with a desk that also knows the library."""
    branch = Branch(
        "crossed",
        zone="Europe/Copenhagen",
        hours=ALL_WEEK,
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("kvik-2", "bibliotek"),
            Desk.of("service-1", "pas"),
            Desk.of("service-2", "pas", "bibliotek"),
        ),
        services=(Service.of("bibliotek", target=5, minutes=3), Service.of("pas", target=15)),
    )
    hall = Hall(load_branch_file(branch.write(tmp)), MONDAY_10)
    for desk in ("kvik-1", "kvik-2", "service-1"):
        hall.open(desk)
    hall.ok("open_counter", actor="bo", counter="service-2", services=["pas"])
    return hall


def test_an_area_at_its_limit_borrows_a_skilled_desk_from_a_quiet_area(tmp_path: Path) -> None:
    hall = crossed(tmp_path)
    queue(hall, "bibliotek", 5)  # 5 x 3 min over 2 desks: 7.5 min against 5
    kvik = hints(hall)["kvik"]
    assert (kvik["kind"], kvik["counter"], kvik["services"]) == (
        "borrow_desk",
        "service-2",
        ["pas", "bibliotek"],
    )
    assert kvik["text"]["da"] == (
        "Der er roligt i SERVICE: lad Skranke 2 (bo) hjælpe KVIK med Bibliotek; "
        "ventetiden er 8 min, målet er 5 min (Bibliotek)"
    )
    # Taking the hint: the desk re-opens for both, and KVIK's wait is back at target (3 desks).
    hall.ok("open_counter", actor="bo", counter="service-2", services=kvik["services"])
    assert "kvik" not in hints(hall)


def test_a_busy_area_lends_nobody(tmp_path: Path) -> None:
    hall = crossed(tmp_path)
    queue(hall, "bibliotek", 6)
    queue(hall, "pas", 6)  # SERVICE is over its own target now
    assert hints(hall)["kvik"]["kind"] == "at_limit"


def test_the_last_open_desk_of_an_area_with_a_queue_is_not_lent(tmp_path: Path) -> None:
    hall = crossed(tmp_path)
    hall.ok("close_counter", counter="service-1")
    hall.issue("pas")  # one passport waits at service-2, well within target
    queue(hall, "bibliotek", 6)
    assert hints(hall)["kvik"]["kind"] == "at_limit"


def test_no_hint_while_every_wait_is_within_target() -> None:
    hall = Hall(load_branch_file(MAGION), MONDAY_10)
    hall.open("kvik-1")
    hall.issue("bibliotek")
    assert hints(hall) == {}
