"""Load and validate branch files; every failure names file, key and reason."""

from __future__ import annotations

import glob
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.config.schema import WEEKDAYS, BranchConfig, parse_hours
from shared.contract.base import field_path
from shared.errors import ConfigError


def load_branches(pattern: str) -> dict[str, BranchConfig]:
    """Every file the glob names, keyed by branch id. No file at all is an error too."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise ConfigError(pattern, "QMS_BRANCHES", "no branch file matches this pattern")
    branches: dict[str, BranchConfig] = {}
    for path in paths:
        config = load_branch_file(Path(path))
        if config.id in branches:
            raise ConfigError(
                path, "branch.id", f"{config.id!r} is also the id in {branches[config.id].source}"
            )
        branches[config.id] = config
    return branches


def load_branch_file(path: Path) -> BranchConfig:
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(source, "(file)", f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            source, "(file)", f"not UTF-8 text (byte {exc.start}): save the file as UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "(syntax)", str(exc)) from exc
    return parse_branch(raw, source)


def parse_branch(raw: dict[str, Any], source: str) -> BranchConfig:
    data = dict(raw)
    data["hours"] = _parse_hours_section(raw.get("hours", {}), source)
    data["source"] = source
    try:
        config = BranchConfig.model_validate(data)
    except ValidationError as exc:
        first: Any = exc.errors(include_url=False)[0]
        raise ConfigError(source, field_path(tuple(first["loc"])), str(first["msg"])) from exc
    cross_check(config)
    return config


def _parse_hours_section(section: Any, source: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise ConfigError(source, "hours", "must be a table")
    parsed: dict[str, Any] = {}
    for kind, days in section.items():
        if kind not in ("staffed", "self_service", "appointments"):
            raise ConfigError(
                source, f"hours.{kind}", "unknown; use staffed, self_service or appointments"
            )
        if not isinstance(days, dict):
            raise ConfigError(source, f"hours.{kind}", "must be a table of weekdays")
        for day, ranges in days.items():
            key = f"hours.{kind}.{day}"
            if day not in WEEKDAYS:
                raise ConfigError(source, key, f"unknown weekday; use one of {', '.join(WEEKDAYS)}")
            if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
                raise ConfigError(source, key, 'must be a list like ["10:00-17:00"]')
        try:
            parsed[kind] = parse_hours(days)
        except ValueError as exc:
            bad_day = _first_bad_day(days)
            raise ConfigError(source, f"hours.{kind}.{bad_day}", str(exc)) from exc
    return parsed


def _first_bad_day(days: dict[str, list[str]]) -> str:
    for day, ranges in days.items():
        try:
            parse_hours({day: ranges})
        except ValueError:
            return day
    return "?"


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]


def cross_check(config: BranchConfig) -> None:
    """Checks that span sections; the first problem found stops start-up."""
    src = config.source
    area_ids = {a.id for a in config.areas}
    service_ids = {s.id for s in config.services}
    for section, ids in (
        ("areas", [a.id for a in config.areas]),
        ("counters", [c.id for c in config.counters]),
        ("services", [s.id for s in config.services]),
    ):
        for dup in _duplicates(ids):
            index = [i for i, v in enumerate(ids) if v == dup][1]
            raise ConfigError(src, f"{section}[{index}].id", f"{dup!r} is used twice")
    for i, counter in enumerate(config.counters):
        if counter.area not in area_ids:
            raise ConfigError(src, f"counters[{i}].area", f"unknown area {counter.area!r}")
        for j, skill in enumerate(counter.skills):
            if skill not in service_ids:
                raise ConfigError(src, f"counters[{i}].skills[{j}]", f"unknown service {skill!r}")
    prefixes: dict[str, str] = {}
    for i, service in enumerate(config.services):
        if service.area not in area_ids:
            raise ConfigError(src, f"services[{i}].area", f"unknown area {service.area!r}")
        if service.prefix in prefixes:
            raise ConfigError(
                src,
                f"services[{i}].prefix",
                f"{service.prefix!r} is already the prefix of {prefixes[service.prefix]!r}",
            )
        prefixes[service.prefix] = service.id
    other = config.kiosk.other_service
    if other is not None and other not in service_ids:
        raise ConfigError(src, "kiosk.other_service", f"unknown service {other!r}")
    _check_appointments(config, prefixes)


def _check_appointments(config: BranchConfig, prefixes: dict[str, str]) -> None:
    """Bookable services, seats and the appointment series (docs/queue-rules.md)."""
    src = config.source
    for i, service in enumerate(config.services):
        if (service.slot_min is None) != (service.seats is None):
            given, missing = (
                ("slot_min", "seats") if service.seats is None else ("seats", "slot_min")
            )
            raise ConfigError(
                src, f"services[{i}].{missing}", f"a bookable service sets {missing} with {given}"
            )
        if service.seats is None:
            continue
        if config.appointments is None:
            raise ConfigError(
                src, f"services[{i}].seats", "bookable services need an [appointments] table"
            )
        desks = sum(1 for c in config.counters if service.id in c.skills)
        if service.seats > desks:
            raise ConfigError(
                src,
                f"services[{i}].seats",
                f"{service.seats} seats but only {desks} desk(s) take {service.id!r}",
            )
    if config.appointments is not None and config.appointments.prefix in prefixes:
        taken = prefixes[config.appointments.prefix]
        raise ConfigError(
            src,
            "appointments.prefix",
            f"{config.appointments.prefix!r} is already the prefix of {taken!r}",
        )
