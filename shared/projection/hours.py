"""Branch-local calendar arithmetic: the business day and every kind of opening hours.

Pure functions of the configuration and an aware `now`. The branch's local
day (not UTC) decides ticket numbering and the log's `day`, so it is computed
here once and used by the engine and every reader alike. Whether something is
open (desks, self-service machines) is decided here only, for any `Hours`
table, always with touching ranges merged and compared as real instants.
"""

from __future__ import annotations

import datetime as dt

from shared.config.schema import BranchConfig, Hours, Service, TimeRange, hhmm

# Staffed hours repeat weekly; looking eight days ahead finds the next opening
# whenever any weekday has hours (including later today, a week from now).
_LOOKAHEAD_DAYS = 8


def elapsed_s(later: dt.datetime, earlier: dt.datetime) -> float:
    """Real seconds between two aware datetimes.

    Not `later - earlier`: for two datetimes in the same ZoneInfo Python
    subtracts wall-clock times, which is an hour off across a DST change.
    """
    return later.timestamp() - earlier.timestamp()


def _utc(moment: dt.datetime) -> dt.datetime:
    # Comparing two datetimes of the same ZoneInfo compares wall-clock times
    # (ignoring DST folds); in UTC the comparison is always the real order.
    _require_aware(moment)
    return moment.astimezone(dt.UTC)


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a naive datetime has no place in the queue: pass an aware one")


def local_time(config: BranchConfig, now: dt.datetime) -> dt.datetime:
    _require_aware(now)
    return now.astimezone(config.branch.tz)


def local_day(config: BranchConfig, now: dt.datetime) -> dt.date:
    """The branch's business day at `now` (what events carry as `day`)."""
    return local_time(config, now).date()


def day_start(config: BranchConfig, day: dt.date) -> dt.datetime:
    """Local midnight that starts `day` (aware): where a reader starts the log."""
    return _at_minute(config, day, 0)


def day_end(config: BranchConfig, day: dt.date) -> dt.datetime:
    """Local midnight that ends `day`; 23 or 25 hours after its start on DST days."""
    return day_start(config, day + dt.timedelta(days=1))


def _at_minute(config: BranchConfig, day: dt.date, minute: int) -> dt.datetime:
    if minute >= 24 * 60:  # "24:00" is the next day's midnight
        return _at_minute(config, day + dt.timedelta(days=1), minute - 24 * 60)
    clock = dt.time(minute // 60, minute % 60)
    return dt.datetime.combine(day, clock, tzinfo=config.branch.tz)


# --- opening hours of any kind ---------------------------------------------
# Staffed hours, self-service hours (and later appointment hours) are each an
# `Hours` table; these functions answer the same questions of any of them.


def merged_ranges(hours: Hours, day: dt.date) -> list[TimeRange]:
    """The day's ranges of `hours` in minutes, touching ranges merged.

    "10:00-12:00" and "12:00-17:00" are one stretch for a citizen: merging them
    keeps `would_exceed_closing` from refusing tickets at 11:50.
    """
    merged: list[TimeRange] = []
    for current in hours.ranges_on(day):
        if merged and merged[-1].end_min >= current.start_min:
            last = merged[-1]
            merged[-1] = TimeRange(
                start_min=last.start_min, end_min=max(last.end_min, current.end_min)
            )
        else:
            merged.append(current)
    return merged


def open_ranges(
    config: BranchConfig, hours: Hours, day: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's merged ranges of `hours` as aware datetimes in the branch's zone."""
    return [
        (_at_minute(config, day, r.start_min), _at_minute(config, day, r.end_min))
        for r in merged_ranges(hours, day)
    ]


def open_until(config: BranchConfig, hours: Hours, now: dt.datetime) -> dt.datetime | None:
    """End of the (merged) range of `hours` that `now` falls in, or None outside them."""
    day, now = local_day(config, now), _utc(now)
    for start, end in open_ranges(config, hours, day):
        if _utc(start) <= now < _utc(end):
            return end
    return None


def is_open(config: BranchConfig, hours: Hours, now: dt.datetime) -> bool:
    return open_until(config, hours, now) is not None


def next_open(config: BranchConfig, hours: Hours, now: dt.datetime) -> dt.datetime | None:
    """The next start of a range of `hours` strictly after `now`; None if the week has none."""
    day, now = local_day(config, now), _utc(now)
    for offset in range(_LOOKAHEAD_DAYS):
        for start, _end in open_ranges(config, hours, day + dt.timedelta(days=offset)):
            if _utc(start) > now:
                return start
    return None


def clock_text(config: BranchConfig, end: dt.datetime) -> str:
    """The local wall-clock time a range ends, "HH:MM"; a range ending at midnight says "24:00"."""
    local = local_time(config, end)
    minute = local.hour * 60 + local.minute
    return hhmm(minute or 24 * 60)


# --- staffed hours: when desks may be open and tickets issued ----------------


def staffed_ranges(config: BranchConfig, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    return open_ranges(config, config.hours.staffed, day)


def staffed_until(config: BranchConfig, now: dt.datetime) -> dt.datetime | None:
    """End of the staffed range `now` falls in, or None outside staffed hours."""
    return open_until(config, config.hours.staffed, now)


def is_staffed(config: BranchConfig, now: dt.datetime) -> bool:
    return staffed_until(config, now) is not None


def next_opening(config: BranchConfig, now: dt.datetime) -> dt.datetime | None:
    """The next start of staffed hours strictly after `now`; None if the week has none."""
    return next_open(config, config.hours.staffed, now)


# --- self-service hours: the library's machines, also without staff -----------


def self_service_until(config: BranchConfig, now: dt.datetime) -> dt.datetime | None:
    """End of the self-service range `now` falls in, or None when the machines are closed."""
    return open_until(config, config.hours.self_service, now)


# --- appointment hours: when bookable slots exist ------------------------------


Slot = tuple[dt.datetime, dt.datetime]


def slots_on(config: BranchConfig, service: Service, day: dt.date) -> list[Slot]:
    """The service's slots on local `day`: `[start, start + slot_min)` inside appointment hours.

    Each merged range of `config.appointment_hours` is cut into whole slots
    from its start, in real minutes (UTC arithmetic), so a slot across a DST
    change lasts `slot_min` like any other; a remainder shorter than a slot is
    no slot. Times are in the branch's zone; a service that is not bookable has none.
    """
    if service.slot_min is None:
        return []
    step = dt.timedelta(minutes=service.slot_min)
    zone = config.branch.tz
    out: list[Slot] = []
    for start, end in open_ranges(config, config.appointment_hours, day):
        at, until = _utc(start), _utc(end)
        while at + step <= until:
            out.append((at.astimezone(zone), (at + step).astimezone(zone)))
            at += step
    return out


def slot_at(config: BranchConfig, service: Service, start: dt.datetime) -> Slot | None:
    """The service's slot that starts exactly at `start`, or None (outside appointment hours)."""
    wanted = _utc(start)
    for slot in slots_on(config, service, local_day(config, start)):
        if _utc(slot[0]) == wanted:
            return slot
    return None
