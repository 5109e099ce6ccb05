"""Replies: `{"ok": true, "result"}` or `{"ok": false, "error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from shared.contract import Reply, ReplyError, decode_reply, encode_reply
from shared.errors import MessageError


@pytest.mark.parametrize(
    ("reply", "wire"),
    [
        (Reply.success(), {"ok": True, "result": {}}),
        (
            Reply.success(
                {
                    "ticket_id": "t",
                    "number": "P001",
                    "counter_name": None,
                    "nested": {"a": [1, None]},
                }
            ),
            {
                "ok": True,
                "result": {
                    "ticket_id": "t",
                    "number": "P001",
                    "counter_name": None,
                    "nested": {"a": [1, None]},
                },
            },
        ),
        (
            Reply.failure("no_waiting_ticket", "Ingen venter / nobody is waiting"),
            {
                "ok": False,
                "error": {
                    "code": "no_waiting_ticket",
                    "message": "Ingen venter / nobody is waiting",
                },
            },
        ),
    ],
)
def test_reply_round_trip(reply: Reply, wire: dict[str, Any]) -> None:
    encoded = encode_reply(reply)
    assert orjson.loads(encoded) == wire
    assert decode_reply(encoded) == reply
    assert decode_reply(orjson.dumps(wire)) == reply


def test_failure_reply_fields() -> None:
    reply = decode_reply(b'{"ok": false, "error": {"code": "closed", "message": "10:00"}}')
    assert not reply.ok
    assert reply.result is None
    assert reply.error == ReplyError(code="closed", message="10:00")


@pytest.mark.parametrize(
    ("wire", "field"),
    [
        ({"ok": False}, "error"),
        ({"ok": False, "error": None}, "error"),
        ({"ok": False, "result": {}}, "error"),
        ({"ok": True, "error": {"code": "closed", "message": "x"}}, "error"),
        ({"ok": False, "error": {"message": "x"}}, "error.code"),
        ({"ok": False, "error": {"code": "closed"}}, "error.message"),
        ({"ok": False, "error": {"code": "NoWaiting", "message": "x"}}, "error.code"),
        ({"ok": False, "error": {"code": "closed", "message": "x", "at": 1}}, "error.at"),
        ({"result": {}}, "ok"),
        ({"ok": "maybe", "result": {}}, "ok"),
        ({"ok": True, "result": [1]}, "result"),
        ({"ok": True, "result": {}, "extra": 1}, "extra"),
    ],
)
def test_reply_rejected(wire: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageError) as caught:
        decode_reply(orjson.dumps(wire))
    assert caught.value.kind == "reply"
    assert caught.value.field == field


def test_reply_invalid_json() -> None:
    with pytest.raises(MessageError) as caught:
        decode_reply(b"{ok: true}")
    assert (caught.value.kind, caught.value.field) == ("reply", "(root)")


def test_failure_needs_an_error_in_python_too() -> None:
    with pytest.raises(ValueError, match="a failed reply needs an error"):
        Reply(ok=False)
    with pytest.raises(ValueError, match="a successful reply carries no error"):
        Reply(ok=True, error=ReplyError(code="closed", message="x"))
