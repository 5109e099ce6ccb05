"""apply(): admission of events, and what each event type does to the state."""

from __future__ import annotations

import datetime as dt

from shared.contract import (
    CounterClosed,
    CounterOpened,
    DayClosed,
    EngineSync,
    Event,
    ServicePaused,
    ServiceResumed,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection import (
    RECENT_CALLS,
    SERVICE_TIME_OUTLIER_FACTOR,
    SERVICE_TIME_WEIGHT,
    BranchState,
    Pause,
    TicketStatus,
    Verdict,
    accepts,
    admit,
    apply,
    apply_all,
)
from tests.projection.branch import MONDAY_10, EventLog, make_config

CONFIG = make_config()
DAY = MONDAY_10.date()


def fresh() -> BranchState:
    return BranchState.fresh(CONFIG, DAY)


def issued(log: EventLog, ticket_id: str, number: str, service: str = "pas") -> Event:
    area = "kvik" if service in ("bibliotek", "flytning") else "service"
    return log.add(
        TicketIssued(
            ticket_id=ticket_id,
            number=number,
            service=service,
            area=area,
            channel="kiosk",
            issued_at=log.now,
        ),
        command_id=f"issue-{ticket_id}",
    )


def called(
    log: EventLog, ticket_id: str, number: str, counter: str, command_id: str | None = None
) -> Event:
    return log.add(
        TicketCalled(
            ticket_id=ticket_id, number=number, counter=counter, area="service", staff="s"
        ),
        command_id,
    )


def status(state: BranchState, ticket_id: str) -> TicketStatus:
    return state.tickets[ticket_id].status


def opened(log: EventLog, counter: str, services: list[str]) -> Event:
    return log.add(CounterOpened(counter=counter, staff="anna", services=services))


def test_fresh_state_has_the_configured_desks_closed_and_seeded_service_times() -> None:
    state = fresh()
    assert state.seq == 0
    assert set(state.counters) == {"kvik-1", "kvik-2", "service-1", "service-2", "service-3"}
    assert not any(c.is_open for c in state.counters.values())
    assert state.counters["service-1"].area == "service"
    assert state.service_time_s["pas"] == 8 * 60


def test_issue_adds_a_waiting_ticket_and_remembers_the_number_per_prefix() -> None:
    log, state = EventLog(DAY), fresh()
    apply(state, issued(log, "a", "P001"))
    apply(state, issued(log, "b", "P002"))
    apply(state, issued(log, "c", "S001", service="skat"))
    assert state.seq == 3
    assert list(state.waiting) == ["a", "b", "c"]
    assert state.tickets["a"].status is TicketStatus.WAITING
    assert state.tickets["b"].issue_order == 2
    assert state.last_number == {"P": 2, "S": 1}


def test_a_marker_is_skipped_and_does_not_change_seq() -> None:
    log, state = EventLog(DAY), fresh()
    apply(state, issued(log, "a", "P001"))
    marker = Event(
        id="m",
        type="engine.sync",
        branch="testhall",
        day=DAY,
        seq=None,
        at=MONDAY_10,
        writer="r1",
        data=EngineSync(nonce="n1"),
    )
    assert apply(state, marker) is Verdict.MARKER
    assert state.seq == 1
    assert accepts(state, issued(log, "b", "P002"))


def test_only_the_next_seq_of_this_branch_and_day_is_applied() -> None:
    log, state = EventLog(DAY), fresh()
    first = issued(log, "a", "P001")
    second = issued(log, "b", "P002")
    assert apply(state, second) is Verdict.SEQ_GAP
    assert state.seq == 0 and not state.tickets
    assert apply(state, first) is Verdict.APPLY
    assert apply(state, first) is Verdict.OLD_SEQ  # redelivered
    other_day = EventLog(DAY + dt.timedelta(days=1))
    other_day.seq = 1
    assert admit(state, issued(other_day, "x", "P001")) is Verdict.OTHER_DAY
    other_branch = EventLog(DAY, branch="elsewhere")
    other_branch.seq = 1
    assert admit(state, issued(other_branch, "y", "P001")) is Verdict.OTHER_BRANCH
    assert apply(state, second) is Verdict.APPLY
    assert list(state.tickets) == ["a", "b"]


def test_call_serve_finish_moves_the_ticket_through_the_desk() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [opened(log, "service-1", ["pas"]), issued(log, "a", "P001")])
    log.tick(60)
    apply(state, called(log, "a", "P001", "service-1"))
    ticket, desk = state.tickets["a"], state.counters["service-1"]
    assert status(state, "a") is TicketStatus.CALLED and desk.ticket == "a"
    assert "a" not in state.waiting
    assert ticket.called_at == log.now
    apply(
        state, log.add(TicketRecalled(ticket_id="a", number="P001", counter="service-1", recalls=1))
    )
    assert ticket.recalls == 1
    log.tick(30)
    apply(state, log.add(TicketServing(ticket_id="a", counter="service-1")))
    assert status(state, "a") is TicketStatus.SERVING and ticket.serving_at == log.now
    log.tick(300)
    apply(state, log.add(TicketFinished(ticket_id="a", counter="service-1", service_s=300)))
    assert status(state, "a") is TicketStatus.FINISHED and ticket.service_s == 300
    assert desk.ticket is None
    assert ticket.counter == "service-1"  # kept: who handled it
    seed = 8 * 60.0
    assert state.service_time_s["pas"] == seed + SERVICE_TIME_WEIGHT * (300 - seed)


def test_one_forgotten_finish_cannot_wreck_the_moving_average() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), called(log, "a", "P001", "service-1")])
    apply(state, log.add(TicketFinished(ticket_id="a", counter="service-1", service_s=36000)))
    seed = 8 * 60.0
    capped = seed + SERVICE_TIME_WEIGHT * (SERVICE_TIME_OUTLIER_FACTOR * seed - seed)
    assert state.service_time_s["pas"] == capped


def test_no_show_frees_the_desk() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), called(log, "a", "P001", "service-1")])
    apply(state, log.add(TicketNoShow(ticket_id="a", counter="service-1")))
    assert state.tickets["a"].status is TicketStatus.NO_SHOW
    assert state.counters["service-1"].ticket is None


def test_transfer_to_the_front_keeps_the_issue_time_and_to_the_back_queues_anew() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "F001", "flytning"), issued(log, "b", "F002", "flytning")])
    issue_time = log.now
    log.tick(120)
    apply(state, called(log, "a", "F001", "kvik-1"))
    apply(state, called(log, "b", "F002", "kvik-2"))
    log.tick(60)
    front = log.add(
        TicketTransferred(
            ticket_id="a",
            from_service="flytning",
            to_service="pas",
            to_area="service",
            position="front",
        )
    )
    back = log.add(
        TicketTransferred(
            ticket_id="b",
            from_service="flytning",
            to_service="skat",
            to_area="service",
            position="back",
        )
    )
    apply_all(state, [front, back])
    a, b = state.tickets["a"], state.tickets["b"]
    assert a.status is TicketStatus.WAITING and a.service == "pas" and a.area == "service"
    assert a.number == "F001" and a.counter is None and a.called_at is None
    assert (a.queued_at, a.queue_order) == (issue_time, 1)
    assert (b.queued_at, b.queue_order) == (log.now, back.seq)
    assert state.counters["kvik-1"].ticket is None and state.counters["kvik-2"].ticket is None
    assert set(state.waiting) == {"a", "b"}
    assert a.transfers == 1


def test_cancelling_a_called_ticket_frees_its_desk() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), issued(log, "b", "P002")])
    apply(state, called(log, "a", "P001", "service-1"))
    apply(state, log.add(TicketCancelled(ticket_id="a", reason="citizen")))
    apply(state, log.add(TicketCancelled(ticket_id="b", reason="staff")))
    assert state.counters["service-1"].ticket is None
    assert state.tickets["a"].cancel_reason == "citizen"
    assert not state.waiting


def test_counters_open_and_close() -> None:
    log, state = EventLog(DAY), fresh()
    apply(state, opened(log, "service-2", ["pas"]))
    desk = state.counters["service-2"]
    assert desk.is_open and desk.staff == "anna" and desk.services == ("pas",)
    assert desk.takes("pas") and not desk.takes("skat")
    apply(state, log.add(CounterClosed(counter="service-2")))
    assert not desk.is_open and not desk.takes("pas") and desk.staff is None


def test_day_closed_marks_the_day_and_cancels_what_the_log_lists() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), issued(log, "b", "P002")])
    apply(state, log.add(TicketCancelled(ticket_id="a", reason="day_closed")))
    # "b" has no cancel event of its own: day.closed still leaves nothing waiting.
    apply(state, log.add(DayClosed(cancelled=["a", "b"])))
    assert state.day_closed
    assert not state.waiting
    assert state.tickets["b"].cancel_reason == "day_closed"


def test_facts_about_unknown_tickets_or_desks_still_advance_seq() -> None:
    log, state = EventLog(DAY), fresh()
    for event in (
        called(log, "ghost", "P404", "desk-x"),
        log.add(TicketServing(ticket_id="ghost", counter="desk-x")),
        log.add(TicketFinished(ticket_id="ghost", counter="desk-x", service_s=1)),
        log.add(
            TicketTransferred(
                ticket_id="ghost", from_service="a", to_service="b", to_area="c", position="back"
            )
        ),
        opened(log, "desk-y", ["pas"]),
    ):
        assert apply(state, event) is Verdict.APPLY
    assert state.seq == 5
    assert "desk-x" in state.counters and state.counters["desk-y"].is_open
    assert not state.tickets


def test_each_command_id_remembers_its_last_event() -> None:
    log, state = EventLog(DAY), fresh()
    apply(state, issued(log, "a", "P001"))
    finish = log.add(TicketFinished(ticket_id="a", counter="service-1", service_s=1), "cmd")
    call = called(log, "a", "P001", "service-1", "cmd")  # same command: finish, then call
    apply_all(state, [finish, call])
    assert state.commands["cmd"] == (call, "pas", "service-1")
    assert state.commands["issue-a"].event.type == "ticket.issued"


def test_copy_is_independent_and_equal() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), opened(log, "service-1", ["pas"])])
    twin = state.copy()
    assert twin == state
    apply(state, called(log, "a", "P001", "service-1"))
    assert twin != state
    assert twin.tickets["a"].status is TicketStatus.WAITING and "a" in twin.waiting
    assert twin.waiting["a"] is twin.tickets["a"]
    assert twin.counters["service-1"].ticket is None
    assert "service" not in twin.recent_calls and len(state.recent_calls_in("service")) == 1


# --- recent calls: kept by apply, per area, newest first ------------------------


def test_calls_and_recalls_are_the_areas_recent_calls_one_row_per_ticket() -> None:
    log, state = EventLog(DAY), fresh()
    apply_all(state, [issued(log, "a", "P001"), issued(log, "b", "P002")])
    apply(state, called(log, "a", "P001", "service-1"))
    log.tick(60)
    apply(state, called(log, "b", "P002", "service-2"))
    log.tick(60)
    apply(
        state, log.add(TicketRecalled(ticket_id="a", number="P001", counter="service-1", recalls=1))
    )
    rows = state.recent_calls_in("service")
    assert [(r.number, r.counter, r.at) for r in rows] == [
        ("P001", "service-1", log.now),
        ("P002", "service-2", log.now - dt.timedelta(seconds=60)),
    ]
    assert "kvik" not in state.recent_calls


def test_recent_calls_keep_the_newest_few() -> None:
    log, state = EventLog(DAY), fresh()
    for n in range(1, RECENT_CALLS + 3):
        apply(state, issued(log, f"t{n}", f"P{n:03d}"))
        apply(state, called(log, f"t{n}", f"P{n:03d}", "service-1"))
    numbers = [row.number for row in state.recent_calls_in("service")]
    assert numbers == [f"P{n:03d}" for n in range(RECENT_CALLS + 2, 2, -1)]


def test_a_desk_only_the_log_knows_calls_into_the_area_its_first_call_named() -> None:
    log, state = EventLog(DAY), fresh()
    assert state.desk_area("service-1") == "service" and state.desk_area("pop-up") is None
    # A recall from a desk nobody placed yet has no area to be shown in.
    apply(state, log.add(TicketRecalled(ticket_id="x", number="P009", counter="pop-up", recalls=1)))
    assert state.recent_calls == {}
    apply(state, called(log, "ghost", "P404", "pop-up"))  # the call names area "service"
    apply(
        state,
        log.add(TicketRecalled(ticket_id="ghost", number="P404", counter="pop-up", recalls=1)),
    )
    assert state.desk_area("pop-up") == "service"
    assert [row.number for row in state.recent_calls_in("service")] == ["P404"]
    # Only the screens use the called area: the desk still has no configured one.
    assert state.counters["pop-up"].area is None


def test_pauses_are_kept_per_service_and_lapse_with_the_time_given() -> None:
    log = EventLog(DAY)
    state = fresh()
    until = MONDAY_10 + dt.timedelta(hours=2)
    apply_all(
        state,
        [
            log.add(ServicePaused(service="pas", until=until, staff="mads")),
            log.add(ServicePaused(service="skat", until=None, staff="mads")),
            log.add(ServiceResumed(service="skat", staff="mads")),
            # A resume of what was never paused (a log written otherwise) changes nothing.
            log.add(ServiceResumed(service="bibliotek", staff="mads")),
        ],
    )
    assert state.seq == 4
    assert state.pauses == {"pas": Pause("pas", until, "mads")}
    assert state.pause_of("pas", until - dt.timedelta(microseconds=1)) is not None
    assert state.pause_of("pas", until) is None, "the pause ends at its time, with no event"
    assert state.pause_of("skat", MONDAY_10) is None
    copied = state.copy()
    copied.pauses.clear()
    assert state.pause_of("pas", MONDAY_10) is not None, "a copy has pauses of its own"
