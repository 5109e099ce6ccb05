"""The branch file's schema (deploy/branches/magion.toml is a complete example).

Field checks live on the models; checks across sections (a desk's area must
exist, ...) live in `loader.cross_check`, which can name the exact key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.contract.base import BRANCH_ID_PATTERN

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ItemId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
# ASCII digits only: int() alone would also take "+9", "1_0" or Arabic-Indic digits.
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})", re.ASCII)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeRange(_Model):
    """Minutes after local midnight, start inclusive, end exclusive; end may be 24:00."""

    start_min: int
    end_min: int

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        try:
            start_text, end_text = text.split("-")
            start, end = _minutes(start_text), _minutes(end_text)
        except ValueError as exc:
            raise ValueError(f'{text!r} is not a time range like "10:00-17:00"') from exc
        if start >= end:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start_min=start, end_min=end)

    def contains(self, minute: int) -> bool:
        return self.start_min <= minute < self.end_min

    def __str__(self) -> str:
        return f"{hhmm(self.start_min)}-{hhmm(self.end_min)}"


def _minutes(text: str) -> int:
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    h, m = int(match[1]), int(match[2])
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ValueError(text)
    return h * 60 + m


def hhmm(minute: int) -> str:
    """Minutes after local midnight as "HH:MM" (1440 is "24:00")."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Hours(_Model):
    """Opening ranges per weekday; an absent day is closed.

    Only the table: whether it is open at a moment is decided by
    `shared.projection.hours` (touching ranges merged, in the branch's zone).
    """

    days: dict[Weekday, tuple[TimeRange, ...]] = Field(default_factory=dict)

    def ranges_on(self, day: dt.date) -> tuple[TimeRange, ...]:
        return self.days.get(WEEKDAYS[day.weekday()], ())


def parse_hours(raw: dict[str, list[str]]) -> Hours:
    days: dict[str, tuple[TimeRange, ...]] = {}
    for day, texts in raw.items():
        ranges = sorted((TimeRange.parse(t) for t in texts), key=lambda r: r.start_min)
        for before, after in zip(ranges, ranges[1:], strict=False):
            if after.start_min < before.end_min:
                raise ValueError(f"{before} and {after} overlap")
        days[day] = tuple(ranges)
    return Hours.model_validate({"days": days})


class LocalizedName(_Model):
    da: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class Branch(_Model):
    id: Annotated[str, Field(pattern=BRANCH_ID_PATTERN, max_length=64)]
    name: Annotated[str, Field(min_length=1)]
    timezone: str
    max_recalls: Annotated[int, Field(ge=0, le=10)] = 2

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        # A folder of zones ("Europe") raises IsADirectoryError, an OSError.
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Area(_Model):
    id: ItemId
    name: Annotated[str, Field(min_length=1)]
    # The kiosk's plain line under the name ("Hurtige ærinder: ..."); None:
    # the kiosk lists the area's services instead.
    description: LocalizedName | None = None


class Counter(_Model):
    id: ItemId
    area: ItemId
    name: Annotated[str, Field(min_length=1)]
    skills: Annotated[list[ItemId], Field(min_length=1)]


class Service(_Model):
    id: ItemId
    name: LocalizedName
    area: ItemId
    prefix: Annotated[str, Field(pattern=r"^[A-Z]$")]
    target_wait_min: Annotated[float, Field(gt=0, le=24 * 60)]
    service_time_min: Annotated[float, Field(gt=0, le=24 * 60)]
    # Bookable (docs/queue-rules.md, "Appointments") when both are set: the
    # length of a slot and how many bookings one slot holds.
    slot_min: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    seats: Annotated[int, Field(ge=1)] | None = None

    @property
    def bookable(self) -> bool:
        return self.slot_min is not None and self.seats is not None


class StaffedHours(_Model):
    staffed: Hours = Field(default_factory=Hours)
    self_service: Hours = Field(default_factory=Hours)
    # When appointment slots exist; None: the staffed hours.
    appointments: Hours | None = None


class Appointments(_Model):
    """`[appointments]`: a branch without the table takes no bookings."""

    horizon_days: Annotated[int, Field(ge=1, le=366)] = 30
    early_min: Annotated[int, Field(ge=0, le=24 * 60)] = 15
    late_min: Annotated[int, Field(ge=0, le=24 * 60)] = 10
    prefix: Annotated[str, Field(pattern=r"^[A-Z]$")] = "T"
    per_client_per_day: Annotated[int, Field(ge=1)] = 3


class Kiosk(_Model):
    """`[kiosk]`: what the kiosk's "Andet / ved ikke" choice issues a ticket for.

    None: the first service of the first area (in the file's order).
    """

    other_service: ItemId | None = None


class BranchConfig(_Model):
    """One validated branch file."""

    branch: Branch
    hours: StaffedHours = Field(default_factory=StaffedHours)
    areas: Annotated[list[Area], Field(min_length=1)]
    counters: list[Counter] = Field(default_factory=list)
    services: Annotated[list[Service], Field(min_length=1)]
    appointments: Appointments | None = None
    kiosk: Kiosk = Field(default_factory=Kiosk)
    source: str = ""

    @property
    def id(self) -> str:
        return self.branch.id

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> Counter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def area(self, area_id: str) -> Area | None:
        return next((a for a in self.areas if a.id == area_id), None)

    @property
    def other_service(self) -> Service:
        """The service a citizen who is unsure gets a ticket for (`[kiosk] other_service`)."""
        chosen = self.kiosk.other_service
        first_area = self.areas[0].id
        return next(
            (s for s in self.services if s.id == chosen),
            next((s for s in self.services if s.area == first_area), self.services[0]),
        )

    @property
    def appointment_hours(self) -> Hours:
        """When slots exist: `[hours.appointments]`, else the staffed hours."""
        return self.hours.appointments or self.hours.staffed

    def bookable(self, service_id: str) -> Service | None:
        """The service, if this branch takes bookings for it."""
        service = self.service(service_id)
        if self.appointments is None or service is None or not service.bookable:
            return None
        return service
