"""Call order, positions and wait estimates, and the per-service figures."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from shared.contract import CounterOpened, TicketCalled, TicketIssued
from shared.projection import (
    BranchState,
    Estimate,
    apply,
    area_figures,
    estimate_for,
    estimate_new,
    estimates,
    next_ticket,
    service_figures,
    waiting_in_call_order,
)
from tests.projection.branch import MONDAY_10, EventLog, make_config

CONFIG = make_config()
DAY = MONDAY_10.date()
AREAS = {"bibliotek": "kvik", "flytning": "kvik", "pas": "service", "skat": "service"}
AREAS["boligstoette"] = "service"


class Scene:
    def __init__(self) -> None:
        self.log = EventLog(DAY)
        self.state = BranchState.fresh(CONFIG, DAY)
        self.count = 0

    def issue(self, service: str, priority: Literal[0, 1] = 0) -> str:
        self.count += 1
        ticket_id = f"t{self.count}"
        prefix = next(s.prefix for s in CONFIG.services if s.id == service)
        data = TicketIssued(
            ticket_id=ticket_id,
            number=f"{prefix}{self.count:03d}",
            service=service,
            area=AREAS[service],
            channel="kiosk",
            priority=priority,
            issued_at=self.log.now,
        )
        apply(self.state, self.log.add(data))
        return ticket_id

    def open(self, counter: str, services: list[str]) -> None:
        apply(
            self.state, self.log.add(CounterOpened(counter=counter, staff="s", services=services))
        )

    def call(self, ticket_id: str, counter: str) -> None:
        number = self.state.tickets[ticket_id].number
        data = TicketCalled(
            ticket_id=ticket_id, number=number, counter=counter, area="x", staff="s"
        )
        apply(self.state, self.log.add(data))

    def tick(self, seconds: float) -> None:
        self.log.tick(seconds)

    def fork(self) -> Scene:
        """A scene that goes on independently from here."""
        twin = Scene()
        twin.state, twin.count = self.state.copy(), self.count
        twin.log.now, twin.log.seq = self.log.now, self.log.seq
        return twin

    @property
    def now(self) -> dt.datetime:
        return self.log.now


def test_priority_first_then_waited_relative_to_target_then_issue_order() -> None:
    scene = Scene()
    skat = scene.issue("skat")  # target 20 min
    scene.tick(600)
    pas = scene.issue("pas")  # target 15 min
    scene.tick(540)
    # skat waited 19 min of 20 (0.95); pas 9 of 15 (0.6): skat first.
    order = [t.id for t in waiting_in_call_order(scene.state, CONFIG, scene.now)]
    assert order == [skat, pas]
    scene.tick(1800)
    # skat 49/20 = 2.45; pas 39/15 = 2.6: now pas has waited longer relative to target.
    assert [t.id for t in waiting_in_call_order(scene.state, CONFIG, scene.now)] == [pas, skat]
    vip = scene.issue("skat", priority=1)
    assert waiting_in_call_order(scene.state, CONFIG, scene.now)[0].id == vip


def test_equal_ratios_go_by_issue_order() -> None:
    scene = Scene()
    first, second = scene.issue("pas"), scene.issue("pas")
    assert [t.id for t in waiting_in_call_order(scene.state, CONFIG, scene.now)] == [first, second]


def test_next_ticket_only_takes_services_the_desk_may_take() -> None:
    scene = Scene()
    scene.issue("skat")
    scene.tick(60)
    pas = scene.issue("pas")
    assert next_ticket(scene.state, CONFIG, ("pas", "boligstoette"), scene.now) is not None
    ticket = next_ticket(scene.state, CONFIG, ("pas",), scene.now)
    assert ticket is not None and ticket.id == pas
    assert next_ticket(scene.state, CONFIG, ("bibliotek",), scene.now) is None


def test_with_no_desk_open_the_configured_desks_share_the_work() -> None:
    scene = Scene()
    ids = [scene.issue("pas") for _ in range(3)]
    # pas is configured at service-1 and service-2; 8 min each.
    got = estimates(scene.state, CONFIG, scene.now)
    assert [got[t] for t in ids] == [Estimate(1, 0), Estimate(2, 240), Estimate(3, 480)]


def test_open_desks_decide_and_their_other_services_compete() -> None:
    scene = Scene()
    scene.open("service-1", ["pas", "skat"])
    skat = scene.issue("skat")
    pas = scene.issue("pas")
    got = estimates(scene.state, CONFIG, scene.now)
    # One open desk takes both: pas waits behind the skat ticket (10 min).
    assert got[skat] == Estimate(1, 0)
    assert got[pas] == Estimate(2, 600)


def test_a_busy_desk_adds_what_remains_of_its_ticket() -> None:
    scene = Scene()
    scene.open("service-1", ["pas"])
    first = scene.issue("pas")
    scene.call(first, "service-1")
    scene.tick(180)
    second = scene.issue("pas")
    assert estimates(scene.state, CONFIG, scene.now)[second] == Estimate(1, 8 * 60 - 180)
    scene.tick(3600)  # overdue: nothing negative
    assert estimates(scene.state, CONFIG, scene.now)[second] == Estimate(1, 0)


def test_a_service_no_desk_is_configured_for_has_a_position_but_no_wait() -> None:
    config = make_config()
    scene = Scene()
    lonely = config.model_copy(update={"counters": []})
    ticket = scene.issue("pas")
    assert estimates(scene.state, lonely, scene.now)[ticket] == Estimate(1, None)


def test_estimate_new_is_what_the_ticket_gets_right_after_issue() -> None:
    scene = Scene()
    scene.open("service-1", ["pas", "skat"])
    scene.open("service-3", ["skat"])
    plan: list[tuple[str, Literal[0, 1]]] = [
        ("skat", 0),
        ("pas", 1),
        ("pas", 0),
        ("skat", 1),
        ("pas", 0),
    ]
    for service, priority in plan:
        scene.issue(service, priority)
        scene.tick(45)
    levels: tuple[Literal[0, 1], ...] = (0, 1)
    for service in ("pas", "skat"):
        for priority in levels:
            predicted = estimate_new(scene.state, CONFIG, service, priority, scene.now)
            trial = scene.fork()
            ticket_id = trial.issue(service, priority)
            assert estimate_for(trial.state, CONFIG, ticket_id, scene.now) == predicted


def test_estimate_for_is_none_unless_waiting() -> None:
    scene = Scene()
    scene.open("service-1", ["pas"])
    ticket = scene.issue("pas")
    assert estimate_for(scene.state, CONFIG, ticket, scene.now) == Estimate(1, 0)
    scene.call(ticket, "service-1")
    assert estimate_for(scene.state, CONFIG, ticket, scene.now) is None
    assert estimate_for(scene.state, CONFIG, "nope", scene.now) is None


def test_service_figures_count_waiting_and_longest_wait() -> None:
    scene = Scene()
    scene.open("service-1", ["pas"])
    scene.open("service-2", ["pas", "boligstoette"])
    scene.issue("pas")
    scene.tick(300)
    scene.issue("pas")
    scene.issue("bibliotek")
    scene.tick(60)
    figures = service_figures(scene.state, CONFIG, scene.now)
    assert set(figures) == {s.id for s in CONFIG.services}
    pas = figures["pas"]
    assert (pas.waiting, pas.longest_wait_s, pas.open_desks) == (2, 360, 2)
    assert pas.estimated_wait_s == 2 * 8 * 60 // 2
    assert figures["skat"].waiting == 0 and figures["skat"].open_desks == 0
    assert figures["bibliotek"].area == "kvik"
    by_area = area_figures(CONFIG, figures)
    assert {area: f.waiting for area, f in by_area.items()} == {"service": 2, "kvik": 1}
    assert by_area["service"].longest_wait_s == 360 and by_area["kvik"].longest_wait_s == 60
    assert [f.service for f in by_area["kvik"].services] == ["bibliotek", "flytning"]
