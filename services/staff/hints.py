"""What the overview suggests where a wait passes its target: a pure rule on the overview's rows.

The rule (docs/queue-rules.md, "Hints"), for each area whose worst service
(a new ticket's estimated wait against the target, someone waiting) is over
its target, the first that applies:

1. `open_desk`: a closed desk of the area whose skills take that service:
   open it (for its skills). Never a desk that does not exist or is open.
2. `add_service`: an open desk of the area that could take the service but
   was opened without it: let it take that service too.
3. `borrow_desk`: the area is at its limit (every desk of it able to take
   the service is open and taking it). An open desk of a quieter area (none
   of its services over target) whose skills take the service, and which
   that area can spare (it has another open desk, or no one waits there):
   let the person at it take the service too (the call shows on the busy
   area's screens, where the citizen waits, and on the desk's own area's).
4. `at_limit`: nothing above is possible: say so, and suggest no desk.

Figures are the overview's own (shared projection), never recomputed here.
"""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def area_hint(area: Row, areas: list[Row], counters: list[Row]) -> Row | None:
    """The hint for `area` (an overview area row without its hint), or None when all is well."""
    worst = _worst(area["services"])
    if worst is None:
        return None
    service = worst["service"]
    mine = [c for c in counters if c["area"] == area["area"] and service in c["skills"]]
    closed = [c for c in mine if not c["open"]]
    if closed:
        desk = closed[0]
        return _hint(area, worst, "open_desk", desk, list(desk["skills"]))
    idle_skill = [c for c in mine if service not in c["services"]]
    if idle_skill:
        desk = idle_skill[0]
        return _hint(area, worst, "add_service", desk, [*desk["services"], service])
    for other in areas:
        if other["area"] == area["area"] or not _quiet(other):
            continue
        helpers = _spare(other, counters, service)
        if helpers:
            desk = helpers[0]
            return _hint(area, worst, "borrow_desk", desk, [*desk["services"], service], other)
    return _hint(area, worst, "at_limit", None, [])


def _worst(services: list[Row]) -> Row | None:
    """The service whose new ticket's estimate passes its target most; someone must wait."""
    worst: Row | None = None
    worst_ratio = 1.0
    for s in services:
        estimate = s["estimated_wait_s"]
        if not s["waiting"] or estimate is None:
            continue
        ratio = estimate / s["target_wait_s"]
        if ratio > worst_ratio:
            worst, worst_ratio = s, ratio
    return worst


def _quiet(area: Row) -> bool:
    """No service of the area is over its target, by estimate or by who waits longest."""
    return _worst(area["services"]) is None and not any(s["over_target"] for s in area["services"])


def _spare(area: Row, counters: list[Row], service: str) -> list[Row]:
    """Open desks of a quiet `area` able to take `service`, that the area can do without."""
    desks = [c for c in counters if c["area"] == area["area"] and c["open"]]
    able = [c for c in desks if service in c["skills"] and service not in c["services"]]
    if len(desks) > 1 or not area["waiting"]:
        # A desk at its counter with no citizen first: it can start at once.
        return sorted(able, key=lambda c: c["ticket"] is not None)
    return []


def _hint(
    area: Row,
    worst: Row,
    kind: str,
    desk: Row | None,
    services: list[str],
    lender: Row | None = None,
) -> Row:
    minutes = round(worst["estimated_wait_s"] / 60)
    target = round(worst["target_wait_s"] / 60)
    name = worst["name"]
    wait = {
        "da": f"ventetiden er {minutes} min, målet er {target} min ({name['da']})",
        "en": f"the wait is {minutes} min, the target is {target} min ({name['en']})",
    }
    where = area["name"]
    if desk is None:
        text = {
            "da": f"{where} er ved grænsen: alle skranker, der kan tage {name['da']}, er åbne; "
            + wait["da"],
            "en": f"{where} is at its limit: every desk that can take {name['en']} is open; "
            + wait["en"],
        }
    elif kind == "open_desk":
        text = {
            "da": f"Åbn {desk['name']} i {where}: " + wait["da"],
            "en": f"Open {desk['name']} in {where}: " + wait["en"],
        }
    elif kind == "add_service":
        text = {
            "da": f"Lad {desk['name']} ({desk['staff']}) også tage {name['da']}: " + wait["da"],
            "en": f"Let {desk['name']} ({desk['staff']}) take {name['en']} too: " + wait["en"],
        }
    else:
        assert lender is not None  # borrow_desk names the quieter area
        text = {
            "da": f"Der er roligt i {lender['name']}: lad {desk['name']} ({desk['staff']}) "
            f"hjælpe {where} med {name['da']}; " + wait["da"],
            "en": f"{lender['name']} is quiet: let {desk['name']} ({desk['staff']}) "
            f"help {where} with {name['en']}; " + wait["en"],
        }
    return {
        "area": area["area"],
        "area_name": where,
        "service": worst["service"],
        "service_name": name,
        "estimated_wait_s": worst["estimated_wait_s"],
        "target_wait_s": worst["target_wait_s"],
        "kind": kind,
        # What the manager page offers as one click: open `counter` for `services`.
        "counter": desk["counter"] if desk is not None else None,
        "counter_name": desk["name"] if desk is not None else None,
        "services": services,
        "text": text,
    }
