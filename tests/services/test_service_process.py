"""`python -m services.<name>` alone: the ways it stops without a traceback."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.services.conftest import AMQP_URL
from tests.services.procs import spawn, wait_for_text
from tests.services.test_connect import closed_port


def test_sigterm_while_waiting_for_rabbitmq_stops_at_once(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**service_env, "QMS_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{closed_port()}/"}
    log = tmp_path / "ticketing.log"
    proc = spawn(["services.ticketing"], env, log)
    try:
        wait_for_text(log, "waiting for RabbitMQ", within=20.0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text()


@pytest.mark.rabbitmq
def test_a_taken_port_is_one_clear_line_and_exit_1(
    service_env: dict[str, str], ports: dict[str, int], tmp_path: Path
) -> None:
    env = {**service_env, "QMS_AMQP_URL": AMQP_URL}
    log = tmp_path / "display.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["display"]))
        taken.listen()
        proc = spawn(["services.display"], env, log)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    text = log.read_text()
    assert code == 1, text
    assert f"cannot listen on 127.0.0.1:{ports['display']}" in text
    assert "Traceback" not in text
