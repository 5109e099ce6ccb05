"""Several broker URLs (the nodes of one cluster): the order they are tried in, and redaction."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest
import structlog

from shared.bus.rabbit_nodes import Nodes
from shared.errors import BusError
from shared.logs import configure_logging, redact_passwords
from tests.bus.conftest import AMQP_URL

A = "amqp://qms:pw-a@mq-a:5672/hall"
B = "amqp://qms:pw-b@mq-b:5672/hall"
C = "amqp://qms:pw-c@mq-c:5672/hall"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_first_node_comes_first_and_moving_on_goes_round_the_list() -> None:
    nodes = Nodes(f"{A}, {B},{C}")
    assert nodes.urls == (A, B, C)
    assert nodes.current == A
    assert [nodes.advance() for _ in range(4)] == [B, C, A, B]


def test_a_fork_starts_where_its_parent_is_and_moves_on_alone() -> None:
    nodes = Nodes([A, B, C])
    nodes.advance()
    fork = nodes.fork()
    assert fork.current == B
    fork.advance()
    assert (fork.current, nodes.current) == (C, B)


def test_one_url_stays_put() -> None:
    nodes = Nodes(A)
    assert nodes.advance() == A


def test_nodes_are_shown_without_their_passwords() -> None:
    shown = repr(Nodes([A, B]))
    assert shown == "amqp://qms:***@mq-a:5672/hall,amqp://qms:***@mq-b:5672/hall"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (A, "amqp://qms:***@mq-a:5672/hall"),
        (f"{A},{B}", "amqp://qms:***@mq-a:5672/hall,amqp://qms:***@mq-b:5672/hall"),
        ("amqps://qms:p%40ss@mq:5671/", "amqps://qms:***@mq:5671/"),
        ("amqp://mq:5672/,amqp://u:secret@mq2/", "amqp://mq:5672/,amqp://u:***@mq2/"),
        ("amqp://mq.example/", "amqp://mq.example/"),
        (
            f"ConnectionError(\"URL('{B}') refused\")",
            "ConnectionError(\"URL('amqp://qms:***@mq-b:5672/hall') refused\")",
        ),
        ("no URL here: 10:15 @ desk 3", "no URL here: 10:15 @ desk 3"),
    ],
)
def test_redaction_hides_every_password_and_nothing_else(text: str, expected: str) -> None:
    assert redact_passwords(text) == expected


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("routing", "json", stream=stream)
    yield stream
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_no_log_line_shows_a_password(json_log: io.StringIO) -> None:
    log = structlog.stdlib.get_logger("qms.test")
    log.warning("cannot connect", url=f"{A},{B}", error=f"refused by {C}")
    logging.getLogger("aiormq.test").warning("connecting to %s failed", B)
    try:
        raise ConnectionError(f"cannot reach {B}")
    except ConnectionError:
        log.exception("gave up")
    text = json_log.getvalue()
    for secret in ("pw-a", "pw-b", "pw-c"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["url"] == "amqp://qms:***@mq-a:5672/hall,amqp://qms:***@mq-b:5672/hall"
    assert "amqp://qms:***@mq-b:5672/hall" in lines[1]["event"]
    assert "amqp://qms:***@mq-b:5672/hall" in lines[2]["exception"]


@pytest.mark.rabbitmq
async def test_a_dead_first_node_is_passed_over(json_log: io.StringIO) -> None:
    from shared.bus.rabbit import RabbitBus

    dead = f"amqp://guest:dead-node-pw@127.0.0.1:{closed_port()}/"
    bus = RabbitBus(f"{dead},{AMQP_URL}")
    try:
        await bus.start()
        assert bus.connected
        assert bus.url == AMQP_URL
    finally:
        await bus.close()
    text = json_log.getvalue()
    assert "broker node does not answer; trying the next" in text
    assert "dead-node-pw" not in text


@pytest.mark.rabbitmq
async def test_no_node_answering_is_an_error_without_passwords() -> None:
    from shared.bus.rabbit import RabbitBus

    urls = [f"amqp://guest:pw-{i}@127.0.0.1:{closed_port()}/" for i in range(2)]
    bus = RabbitBus(urls)
    try:
        with pytest.raises(BusError) as raised:
            await bus.start()
    finally:
        await bus.close()
    assert "pw-0" not in str(raised.value) and "pw-1" not in str(raised.value)
    assert "cannot connect to RabbitMQ at RabbitBus(amqp://guest:***@127.0.0.1" in str(raised.value)
