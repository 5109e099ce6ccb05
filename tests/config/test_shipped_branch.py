"""The shipped branch file, deploy/branches/magion.toml, loads and models the seed's hall."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.config import BranchConfig, load_branch_file, load_branches
from shared.projection import is_open, is_staffed

ROOT = Path(__file__).resolve().parents[2]
MAGION = ROOT / "deploy" / "branches" / "magion.toml"
CPH = ZoneInfo("Europe/Copenhagen")

KVIK_SERVICES = ["bibliotek", "sundhedskort", "flytning"]
SERVICE_SERVICES = [
    "pas",
    "koerekort",
    "mitid",
    "boligstoette",
    "boernefamilieydelse",
    "pension",
    "skat",
    "vielse",
]
NAMES = {
    "bibliotek": ("Bibliotek", "Library"),
    "sundhedskort": ("Sundhedskort", "Health insurance card"),
    "flytning": ("Flytning", "Change of address"),
    "pas": ("Pas", "Passport"),
    "koerekort": ("Kørekort", "Driving licence"),
    "mitid": ("MitID", "MitID"),
    "boligstoette": ("Boligstøtte", "Housing benefit"),
    "boernefamilieydelse": ("Børnefamilieydelse", "Child benefit"),
    "pension": ("Pension", "Pension"),
    "skat": ("Skat", "Tax"),
    "vielse": ("Vielse", "Wedding booking"),
}


@pytest.fixture(scope="module")
def magion() -> BranchConfig:
    return load_branch_file(MAGION)


def test_the_default_glob_finds_exactly_magion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    branches = load_branches("deploy/branches/*.toml")
    assert "magion" in branches
    assert branches["magion"].source == "deploy/branches/magion.toml"
    assert branches["magion"].id == "magion"


def test_branch_section(magion: BranchConfig) -> None:
    assert magion.branch.id == "magion"
    assert magion.branch.name == "Bibliotek & Borgerservice, Magion"
    assert magion.branch.timezone == "Europe/Copenhagen"
    assert magion.branch.tz == CPH
    assert magion.branch.max_recalls == 2


def test_areas_and_desks_are_the_ones_design_lists(magion: BranchConfig) -> None:
    assert [(a.id, a.name) for a in magion.areas] == [("kvik", "KVIK"), ("service", "SERVICE")]
    assert [(c.id, c.area, c.name) for c in magion.counters] == [
        ("kvik-1", "kvik", "KVIK 1"),
        ("kvik-2", "kvik", "KVIK 2"),
        ("service-1", "service", "Skranke 1"),
        ("service-2", "service", "Skranke 2"),
        ("service-3", "service", "Skranke 3"),
        ("service-4", "service", "Skranke 4"),
    ]


def test_services_are_the_ones_design_lists(magion: BranchConfig) -> None:
    by_area: dict[str, list[str]] = {}
    for service in magion.services:
        by_area.setdefault(service.area, []).append(service.id)
    assert by_area == {"kvik": KVIK_SERVICES, "service": SERVICE_SERVICES}


def test_services_have_danish_and_english_names(magion: BranchConfig) -> None:
    assert {s.id: (s.name.da, s.name.en) for s in magion.services} == NAMES


def test_prefixes_are_unique_capitals(magion: BranchConfig) -> None:
    prefixes = [s.prefix for s in magion.services]
    assert len(set(prefixes)) == len(prefixes)
    assert all(len(p) == 1 and "A" <= p <= "Z" for p in prefixes)
    # Mnemonic where the letter is free.
    for service_id, letter in {"pas": "P", "koerekort": "K", "mitid": "M", "vielse": "V"}.items():
        service = magion.service(service_id)
        assert service is not None
        assert service.prefix == letter


def test_kvik_errands_are_quick_and_service_guidance_longer(magion: BranchConfig) -> None:
    for service in magion.services:
        assert service.service_time_min <= service.target_wait_min
        if service.area == "kvik":
            assert service.target_wait_min <= 5
            assert service.service_time_min <= 5
        else:
            assert service.target_wait_min >= 10
            assert service.service_time_min >= 8
    pas = magion.service("pas")
    assert pas is not None
    assert (pas.target_wait_min, pas.service_time_min) == (15, 10)


def test_kvik_desks_take_every_kvik_service(magion: BranchConfig) -> None:
    for desk_id in ("kvik-1", "kvik-2"):
        desk = magion.counter(desk_id)
        assert desk is not None
        assert sorted(desk.skills) == sorted(KVIK_SERVICES)


def test_every_service_desk_takes_only_service_services(magion: BranchConfig) -> None:
    for desk in magion.counters:
        if desk.area == "service":
            assert set(desk.skills) <= set(SERVICE_SERVICES), desk.id
            assert len(desk.skills) == len(set(desk.skills)), desk.id


def test_every_service_has_at_least_two_desks(magion: BranchConfig) -> None:
    for service in magion.services:
        desks = [c for c in magion.counters if service.id in c.skills]
        assert len(desks) >= 2, (service.id, [d.id for d in desks])
        # A desk that takes a service stands in the service's own area.
        assert {d.area for d in desks} == {service.area}


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CPH)


MONDAY = dt.date(2026, 11, 30)
THURSDAY = dt.date(2026, 12, 3)
FRIDAY = dt.date(2026, 12, 4)
SATURDAY = dt.date(2026, 12, 5)
SUNDAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(
    ("day", "hhmm", "staffed", "self_service"),
    [
        (MONDAY, "06:59", False, False),
        (MONDAY, "07:00", False, True),
        (MONDAY, "09:59", False, True),
        (MONDAY, "10:00", True, True),
        (MONDAY, "14:59", True, True),
        (MONDAY, "15:00", False, True),
        (THURSDAY, "17:29", True, True),
        (THURSDAY, "17:30", False, True),
        (FRIDAY, "12:59", True, True),
        (FRIDAY, "13:00", False, True),
        (SATURDAY, "11:00", False, True),
        (SUNDAY, "21:59", False, True),
        (SUNDAY, "22:00", False, False),
    ],
)
def test_staffed_hours_lie_within_the_library_hours(
    magion: BranchConfig, day: dt.date, hhmm: str, staffed: bool, self_service: bool
) -> None:
    assert day.strftime("%a") in {"Mon", "Thu", "Fri", "Sat", "Sun"}
    local = _at(day, hhmm)
    assert is_staffed(magion, local) is staffed
    assert is_open(magion, magion.hours.self_service, local) is self_service


def test_weekends_are_unstaffed_but_self_service_is_open_daily(magion: BranchConfig) -> None:
    assert set(magion.hours.staffed.days) == {"mon", "tue", "wed", "thu", "fri"}
    assert set(magion.hours.self_service.days) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    # Staffed time is always inside self-service time.
    for day, ranges in magion.hours.staffed.days.items():
        outer = magion.hours.self_service.days[day]
        for r in ranges:
            assert any(o.start_min <= r.start_min and r.end_min <= o.end_min for o in outer)


def test_passport_and_driving_licence_are_bookable_the_rest_walk_in(magion: BranchConfig) -> None:
    bookable = [s.id for s in magion.services if magion.bookable(s.id) is not None]
    assert bookable == ["pas", "koerekort"]
    assert magion.appointments is not None and magion.appointments.prefix == "T"
    thursday = dt.date(2026, 12, 3)
    slots = [str(r) for r in magion.appointment_hours.ranges_on(thursday)]
    assert slots == ["10:00-12:00", "14:00-17:00"]
    # A share of the staffed hours: every slot range lies inside them.
    for day in range(7):
        date = thursday + dt.timedelta(days=day)
        staffed = magion.hours.staffed.ranges_on(date)
        for r in magion.appointment_hours.ranges_on(date):
            assert any(s.start_min <= r.start_min and r.end_min <= s.end_min for s in staffed)
