"""Suite-wide broker hygiene: each test run gets a RabbitMQ vhost of its own.

Every reader rebuilds today's state by reading the event stream from local
midnight; on a shared vhost that means reading every event every earlier run
(and benchmark) wrote today, which makes each service start slower as the day
goes on. A vhost per run gives every run an empty stream and its own queues,
and deleting it afterwards returns the broker's file descriptors (each quorum
queue holds a few; a default install has about 900). Tests read the run's
URL from QMS_TEST_AMQP_URL, which is set here before any other conftest loads.

With QMS_TEST_AMQP_URL already set, or no `rabbitmqctl` on this machine (a
remote broker), the given URL is used as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

# The test kit's fixtures (branch_id, bus_factory, embedded, http; the log `stream`),
# for every suite.
pytest_plugins = ["tests.support.fixtures", "tests.support.logs"]

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False
    )


def _make_run_vhost() -> str | None:
    if os.environ.get("QMS_TEST_AMQP_URL") or shutil.which("rabbitmqctl") is None:
        return None
    vhost = f"qms-test-{uuid.uuid4().hex[:10]}"
    if _rabbitmqctl("add_vhost", vhost).returncode != 0:
        # No broker to talk to: tests that need one fail and say so themselves.
        return None
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    os.environ["QMS_TEST_AMQP_URL"] = f"{DEFAULT_URL}{vhost}"
    return vhost


# At import, not in pytest_configure: the conftests of the folders named on
# the command line are imported before that hook runs, and they read the URL.
RUN_VHOST = _make_run_vhost()


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN_VHOST is not None:
        _rabbitmqctl("delete_vhost", RUN_VHOST)
        os.environ.pop("QMS_TEST_AMQP_URL", None)
