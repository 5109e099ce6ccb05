"""One builder for every test branch: knobs in, a branch file and a validated BranchConfig out.

    pas = Branch("t-1", desks=(Desk.of("service-1", "pas"),), services=(Service.of("pas"),))
    config = pas.config()
    path = magion("t-2").but(hours=ALL_WEEK, zone=mid_morning_zone()).write(tmp_path)

The branch is written as TOML and read back by the real loader
(`shared.config.loader`), so every test branch passes the checks a shipped
branch file does. Service names, prefixes and areas come from the shipped
Magion hall unless a knob says otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.config import BranchConfig, load_branch_file
from shared.config.loader import parse_branch
from shared.config.schema import WEEKDAYS

REPO = Path(__file__).resolve().parents[2]
MAGION = REPO / "deploy" / "branches" / "magion.toml"
COPENHAGEN = "Europe/Copenhagen"

Days = Mapping[Any, Sequence[str]]  # weekday -> ["10:00-15:00", ...]; the loader checks both
ALL_DAY = ("00:00-24:00",)
ALL_WEEK: Days = dict.fromkeys(WEEKDAYS, ALL_DAY)
DESK_NAMES = {"kvik": "KVIK {n}", "service": "Skranke {n}"}


@dataclass(frozen=True)
class Desk:
    id: str
    area: str
    name: str
    skills: tuple[str, ...]

    @classmethod
    def of(
        cls, desk_id: str, *skills: str, area: str | None = None, name: str | None = None
    ) -> Desk:
        """A desk; `kvik-2` is in area kvik and named "KVIK 2", `service-1` is "Skranke 1"."""
        prefix, _, n = desk_id.rpartition("-")
        area = area or prefix
        if name is None:
            name = DESK_NAMES[area].format(n=n) if area in DESK_NAMES else desk_id
        return cls(desk_id, area, name, skills)


@dataclass(frozen=True)
class Service:
    id: str
    area: str
    prefix: str
    da: str
    en: str
    target_wait_min: float
    service_time_min: float
    # Bookable when both are set (the branch then needs `appointments`).
    slot_min: int | None = None
    seats: int | None = None

    @classmethod
    def of(
        cls,
        service_id: str,
        *,
        minutes: float | None = None,
        target: float | None = None,
        prefix: str | None = None,
        area: str | None = None,
        slot_min: int | None = None,
        seats: int | None = None,
    ) -> Service:
        """A service as Magion configures it (names, prefix, area, times), with changes.

        Bookable only when `slot_min` and `seats` are given here: the shipped
        hall's booking settings are not copied into test branches.
        """
        shipped = _magion_services()[service_id]
        return dataclasses.replace(
            shipped,
            slot_min=slot_min,
            seats=seats,
            area=area or shipped.area,
            prefix=prefix or shipped.prefix,
            target_wait_min=target if target is not None else shipped.target_wait_min,
            service_time_min=minutes if minutes is not None else shipped.service_time_min,
        )


@dataclass(frozen=True)
class Branch:
    """The knobs of a test branch. Staffed all day every day in Copenhagen unless told."""

    id: str
    name: str = "Testhal"
    zone: str = COPENHAGEN
    recalls: int | None = None  # max_recalls; None leaves it to the loader's default
    hours: Days = dataclasses.field(default_factory=lambda: ALL_WEEK)
    self_service: Days | None = None
    areas: tuple[tuple[str, str], ...] = (("kvik", "KVIK"), ("service", "SERVICE"))
    # An area's kiosk line by area id ({"da": ..., "en": ...}); absent: none.
    area_lines: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    kiosk: Mapping[str, Any] | None = None  # `[kiosk]`; None: the loader's defaults
    desks: tuple[Desk, ...] = ()
    services: tuple[Service, ...] = ()
    # `[appointments]` (e.g. {"horizon_days": 30}; {} takes every default); None: no bookings.
    appointments: Mapping[str, Any] | None = None
    appointment_hours: Days | None = None  # `[hours.appointments]`; None: the staffed hours

    def but(self, **changes: Any) -> Branch:
        return dataclasses.replace(self, **changes)

    def toml(self) -> str:
        sections = [_table("branch", self._head())]
        sections.append(_table("hours.staffed", self.hours))
        if self.self_service is not None:
            sections.append(_table("hours.self_service", self.self_service))
        if self.appointment_hours is not None:
            sections.append(_table("hours.appointments", self.appointment_hours))
        if self.appointments is not None:
            sections.append(_table("appointments", self.appointments))
        if self.kiosk is not None:
            sections.append(_table("kiosk", self.kiosk))
        sections += [_table("[areas]", self._area_fields(a, n)) for a, n in self.areas]
        sections += [_table("[counters]", _desk_fields(d)) for d in self.desks]
        sections += [_table("[services]", _service_fields(s)) for s in self.services]
        return "\n".join(sections)

    def write(self, folder: Path) -> Path:
        """`folder/<id>.toml` (the folder made if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.id}.toml"
        path.write_text(self.toml(), encoding="utf-8")
        return path

    def config(self, folder: Path | None = None) -> BranchConfig:
        """Validated by the loader: read from the file in `folder`, or from the text."""
        if folder is not None:
            return load_branch_file(self.write(folder))
        return parse_branch(tomllib.loads(self.toml()), f"{self.id}.toml")

    def branches(self, folder: Path | None = None) -> dict[str, BranchConfig]:
        return {self.id: self.config(folder)}

    def _area_fields(self, area_id: str, name: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": area_id, "name": name}
        if area_id in self.area_lines:
            fields["description"] = self.area_lines[area_id]
        return fields

    def _head(self) -> dict[str, Any]:
        head: dict[str, Any] = {"id": self.id, "name": self.name, "timezone": self.zone}
        if self.recalls is not None:
            head["max_recalls"] = self.recalls
        return head

    @classmethod
    def from_file(cls, path: Path) -> Branch:
        """The knobs of a branch file, so a shipped hall can be changed like any other."""
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        head, hours = raw["branch"], raw.get("hours", {})
        return cls(
            id=head["id"],
            name=head["name"],
            zone=head["timezone"],
            recalls=head.get("max_recalls"),
            hours=hours.get("staffed", {}),
            self_service=hours.get("self_service"),
            areas=tuple((a["id"], a["name"]) for a in raw["areas"]),
            area_lines={a["id"]: a["description"] for a in raw["areas"] if "description" in a},
            kiosk=raw.get("kiosk"),
            desks=tuple(
                Desk(c["id"], c["area"], c["name"], tuple(c["skills"])) for c in raw["counters"]
            ),
            services=tuple(_service_of(s) for s in raw["services"]),
            appointments=raw.get("appointments"),
            appointment_hours=hours.get("appointments"),
        )


def magion(branch_id: str = "magion") -> Branch:
    """The shipped hall (deploy/branches/magion.toml) under another id, as knobs."""
    return Branch.from_file(MAGION).but(id=branch_id)


@functools.cache
def _magion_services() -> dict[str, Service]:
    raw = tomllib.loads(MAGION.read_text(encoding="utf-8"))
    return {s["id"]: _service_of(s) for s in raw["services"]}


def _service_of(raw: Mapping[str, Any]) -> Service:
    return Service(
        raw["id"],
        raw["area"],
        raw["prefix"],
        raw["name"]["da"],
        raw["name"]["en"],
        raw["target_wait_min"],
        raw["service_time_min"],
        raw.get("slot_min"),
        raw.get("seats"),
    )


def _desk_fields(d: Desk) -> dict[str, Any]:
    return {"id": d.id, "area": d.area, "name": d.name, "skills": list(d.skills)}


def _service_fields(s: Service) -> dict[str, Any]:
    booking = {"slot_min": s.slot_min, "seats": s.seats}
    return {
        "id": s.id,
        "name": {"da": s.da, "en": s.en},
        "area": s.area,
        "prefix": s.prefix,
        "target_wait_min": s.target_wait_min,
        "service_time_min": s.service_time_min,
        **{key: value for key, value in booking.items() if value is not None},
    }


def _table(header: str, fields: Mapping[str, Any]) -> str:
    lines = [f"[{header}]"] + [f"{key} = {_value(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
