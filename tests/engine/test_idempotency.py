"""Retried commands: the first result again, nothing written, on any replica."""

from __future__ import annotations

from typing import Any

import pytest

from services.routing.engine import CountingIds, decide
from services.routing.engine.decide import COMMAND_TTL_S
from shared.contract import Reply, decode_event, encode_event
from shared.projection import BranchState, apply_all
from tests.engine.hall import Hall


def test_a_retry_returns_the_first_result_and_writes_nothing() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    issue = hall.command("issue_ticket", command_id="k-1", service="pas")
    first = hall.send(issue)
    call = hall.command("call_next", command_id="d-1", counter="service-1")
    called = hall.send(call)
    assert not called.replayed
    written = len(hall.log)
    hall.tick(30)
    again, events = hall.dry_decide(call)
    assert events == 0 and again is not None
    assert again.replayed and again.model_copy(update={"replayed": False}) == called
    # An issued ticket's position and estimate are live; the rest is as first told.
    reissued, events = hall.dry_decide(issue)
    assert events == 0 and reissued is not None and reissued.result is not None
    assert first.result is not None
    assert reissued.result["ticket_id"] == first.result["ticket_id"]
    assert reissued.result["number"] == "P001"
    assert reissued.result["position"] is None  # called by now
    retried = hall.send(call)
    assert retried.replayed and retried.result == called.result and len(hall.log) == written


def test_a_replica_rebuilt_from_the_log_answers_the_same() -> None:
    hall = Hall()
    hall.open("service-1", ["pas", "skat"])
    for service in ("pas", "skat", "pas"):
        hall.issue(service)
    hall.ok("call_next", counter="service-1")
    hall.ok("recall", counter="service-1")
    hall.ok("transfer", counter="service-1", service="pas", position="front")
    replica = BranchState.fresh(hall.config, hall.state.day)
    apply_all(replica, [decode_event(encode_event(e)) for e in hall.log])
    assert replica == hall.state
    for command_id in hall.state.commands:
        assert hall.reply_for(command_id) == Hall.reply_on(replica, hall, command_id)


def test_a_refused_command_is_not_remembered() -> None:
    hall = Hall()
    call = hall.command("call_next", command_id="d-1", counter="service-1")
    reply = hall.send(call)
    assert reply.error is not None and reply.error.code == "counter_closed"
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    assert hall.send(call).ok  # decided afresh


def test_decide_does_not_change_the_state() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    before = hall.state.copy()
    decision = decide(
        hall.state,
        hall.command("call_next", counter="service-1"),
        config=hall.config,
        now=hall.now,
        ids=CountingIds("x"),
        writer="w",
    )
    assert len(decision.events) == 1 and decision.reply is None
    assert hall.state == before


def test_a_command_that_waited_too_long_in_the_queue_is_refused() -> None:
    hall = Hall()
    stale = hall.command("issue_ticket", service="pas")
    hall.tick(COMMAND_TTL_S + 1)
    reply = hall.send(stale)
    assert reply.error is not None and reply.error.code == "expired"
    assert not hall.log

    fresh_enough = hall.command("issue_ticket", service="pas")
    hall.tick(COMMAND_TTL_S - 1)
    assert hall.send(fresh_enough).ok


def test_a_retry_of_a_done_command_is_answered_however_late() -> None:
    hall = Hall()
    first = hall.command("issue_ticket", service="pas")
    answer = hall.send(first)
    hall.tick(10 * COMMAND_TTL_S)
    again = hall.send(first)
    assert again.ok and again.result is not None and answer.result is not None
    assert again.result["ticket_id"] == answer.result["ticket_id"]
    assert again.replayed and not answer.replayed


def _reused(reply: Reply) -> bool:
    return reply.error is not None and reply.error.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("kind", "first", "other"),
    [
        ("issue_ticket", {"service": "pas"}, {"service": "skat"}),
        ("issue_ticket", {"service": "pas"}, {"service": "pas", "priority": 1}),
        ("issue_ticket", {"service": "pas"}, {"service": "pas", "channel": "web"}),
        ("open_counter", {"counter": "service-2"}, {"counter": "service-2", "services": ["pas"]}),
        ("open_counter", {"counter": "service-2"}, {"counter": "service-3"}),
        ("call_next", {"counter": "service-1"}, {"counter": "service-2"}),
    ],
)
def test_an_id_sent_again_with_other_data_is_refused_on_every_replica(
    kind: str, first: dict[str, Any], other: dict[str, Any]
) -> None:
    hall = Hall()
    hall.open("service-1", ["pas", "skat"])
    hall.open("service-2", ["pas"])
    hall.issue("pas")
    assert hall.send(hall.command(kind, command_id="key", **first)).ok
    written = len(hall.log)
    again = hall.command(kind, command_id="key", **other)
    assert _reused(hall.send(again)) and len(hall.log) == written
    # A replica rebuilt from the log tells the same from the events alone.
    replica = BranchState.fresh(hall.config, hall.state.day)
    apply_all(replica, [decode_event(encode_event(e)) for e in hall.log])
    decision = decide(
        replica, again, config=hall.config, now=hall.now, ids=CountingIds("r"), writer="r"
    )
    assert decision.reply is not None and _reused(decision.reply)
    same = decide(
        replica,
        hall.command(kind, command_id="key", **first),
        config=hall.config,
        now=hall.now,
        ids=CountingIds("r"),
        writer="r",
    )
    assert same.reply is not None and same.reply.ok and same.reply.replayed


def test_another_command_type_under_a_used_id_is_refused() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    assert hall.send(hall.command("call_next", command_id="key", counter="service-1")).ok
    assert _reused(hall.send(hall.command("recall", command_id="key", counter="service-1")))
    assert _reused(hall.send(hall.command("issue_ticket", command_id="key", service="pas")))


def test_a_transfer_retry_is_told_by_its_desk_though_the_event_names_none() -> None:
    hall = Hall()
    hall.open("service-1", ["pas", "skat"])
    hall.open("service-2", ["pas"])
    hall.issue("pas")
    hall.ok("call_next", counter="service-1")
    move = {"service": "skat", "position": "front"}
    assert hall.send(hall.command("transfer", command_id="t", counter="service-1", **move)).ok
    retry = hall.send(hall.command("transfer", command_id="t", counter="service-1", **move))
    assert retry.ok and retry.replayed
    assert _reused(hall.send(hall.command("transfer", command_id="t", counter="service-2", **move)))
    back = {"service": "skat", "position": "back"}
    assert _reused(hall.send(hall.command("transfer", command_id="t", counter="service-1", **back)))
