"""`[appointments]`, `[hours.appointments]` and bookable services: loaded, or refused by name."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.config import BranchConfig
from shared.errors import ConfigError
from tests.support.branch import Branch, Desk, Service

PAS_DESKS = (Desk.of("service-1", "pas"), Desk.of("service-2", "pas"))
BOOKING = Branch(
    "t-book",
    desks=PAS_DESKS,
    services=(Service.of("pas", slot_min=15, seats=2), Service.of("mitid")),
    appointments={},
    appointment_hours={"thu": ["10:00-12:00", "14:00-17:00"]},
)


def test_a_bookable_branch_loads_with_defaults() -> None:
    config = BOOKING.config()
    assert config.appointments is not None
    a = config.appointments
    assert (a.horizon_days, a.early_min, a.late_min, a.prefix, a.per_client_per_day) == (
        30,
        15,
        10,
        "T",
        3,
    )
    assert config.bookable("pas") is not None
    assert config.bookable("mitid") is None  # walk-in only
    thursday = dt.date(2026, 12, 3)
    assert [str(r) for r in config.appointment_hours.ranges_on(thursday)] == [
        "10:00-12:00",
        "14:00-17:00",
    ]


def test_appointment_hours_default_to_staffed_hours() -> None:
    config = BOOKING.but(appointment_hours=None).config()
    assert config.appointment_hours == config.hours.staffed


def test_a_branch_without_the_table_books_nothing() -> None:
    config = Branch("t-walk", desks=PAS_DESKS, services=(Service.of("pas"),)).config()
    assert config.appointments is None
    assert config.bookable("pas") is None


def _refused(branch: Branch) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        branch.config()
    return caught.value


@pytest.mark.parametrize(
    ("branch", "key", "reason"),
    [
        (
            BOOKING.but(services=(Service.of("pas", slot_min=15, seats=3),)),
            "services[0].seats",
            "only 2 desk(s) take 'pas'",
        ),
        (
            BOOKING.but(services=(Service.of("pas", slot_min=15),)),
            "services[0].seats",
            "sets seats with slot_min",
        ),
        (
            BOOKING.but(services=(Service.of("pas", seats=1),)),
            "services[0].slot_min",
            "sets slot_min with seats",
        ),
        (BOOKING.but(appointments=None), "services[0].seats", "need an [appointments] table"),
        (BOOKING.but(appointments={"prefix": "P"}), "appointments.prefix", "prefix of 'pas'"),
        (BOOKING.but(appointments={"prefix": "TT"}), "appointments.prefix", "pattern"),
        (BOOKING.but(appointments={"horizon_days": 0}), "appointments.horizon_days", "1"),
        (BOOKING.but(appointments={"early": 5}), "appointments.early", "Extra inputs"),
        (
            BOOKING.but(appointment_hours={"thu": ["12:00-10:00"]}),
            "hours.appointments.thu",
            "ends before it starts",
        ),
    ],
)
def test_bad_booking_settings_name_key_and_reason(branch: Branch, key: str, reason: str) -> None:
    error = _refused(branch)
    assert error.key == key
    assert reason in error.reason


def test_services_keep_no_booking_fields_when_walk_in_only() -> None:
    config: BranchConfig = BOOKING.config()
    mitid = config.service("mitid")
    assert mitid is not None and (mitid.slot_min, mitid.seats) == (None, None)
