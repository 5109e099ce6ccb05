"""How compose starts each RabbitMQ node (deploy/rabbitmq/start), run as a process.

No Docker here, so the script runs as compose's command with the environment
compose resolves for the broker, its secrets at their host files, and a
stand-in for the image's `docker-entrypoint.sh` that records what RabbitMQ
would have been started with.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import BROKER_START, CLUSTER_ENV, compose_model, secret_files

PASSWORD = "3f9c2a-from-the-file"
COOKIE = "c0ffee" * 8
# The image's entry point, as far as this test needs it: what was it started with?
ENTRYPOINT = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["RECORD"], "w") as record:
    json.dump({{"args": sys.argv[1:], "env": dict(os.environ)}}, record)
"""


def broker(name: str, **environ: str) -> dict[str, Any]:
    model = compose_model(
        environ=environ, more_env_files=[CLUSTER_ENV] if name != "rabbitmq" else []
    )
    service: dict[str, Any] = model["services"][name]
    service["secret_files"] = secret_files(model, service)
    return service


def start(
    service: dict[str, Any],
    tmp_path: Path,
    *,
    password: str | None = PASSWORD,
    cookie: str = COOKIE,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """compose's command for `service`, with its environment and its secrets here."""
    assert service["command"] == ["sh", "/opt/qms/start"]
    mounts = {v["target"]: v["source"] for v in service["volumes"]}
    script = Path(mounts["/opt/qms/start"])
    assert script == BROKER_START
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker-entrypoint.sh").write_text(ENTRYPOINT)
    (bin_dir / "docker-entrypoint.sh").chmod(0o755)
    home = tmp_path / "var-lib-rabbitmq"  # the image's HOME, the data folder
    home.mkdir()
    here = {"/run/secrets/amqp-password": tmp_path / "amqp-password"}
    here["/run/secrets/rabbitmq-cookie"] = tmp_path / "rabbitmq-cookie"
    if password is not None:
        here["/run/secrets/amqp-password"].write_text(password + "\n")
    here["/run/secrets/rabbitmq-cookie"].write_text(cookie)
    env = dict(service["environment"])
    for key, value in env.items():
        if key.endswith("_FILE") and value:
            assert value in service["secret_files"], (key, value)  # compose mounts it there
            env[key] = str(here[value])
    record = tmp_path / "record.json"
    env |= {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "RECORD": str(record)}
    done = subprocess.run(
        ["sh", str(script)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    return done, json.loads(record.read_text()) if record.exists() else None


def test_the_server_starts_with_the_password_from_the_file(tmp_path: Path) -> None:
    done, started = start(broker("rabbitmq"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert started is not None and started["args"] == ["rabbitmq-server"]
    assert started["env"]["RABBITMQ_DEFAULT_USER"] == "qms"
    # Without the file's newline: the services read it the same way.
    assert started["env"]["RABBITMQ_DEFAULT_PASS"] == PASSWORD
    # The one node makes its own Erlang cookie.
    assert not (tmp_path / "var-lib-rabbitmq" / ".erlang.cookie").exists()


def test_a_cluster_node_copies_the_shared_cookie_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "var-lib-rabbitmq"
    done, started = start(broker("rmq2"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert started is not None and started["env"]["RABBITMQ_DEFAULT_PASS"] == PASSWORD
    cookie = home / ".erlang.cookie"
    assert cookie.read_text() == COOKIE
    assert stat.S_IMODE(cookie.stat().st_mode) == 0o400
    # A restart replaces the copy of the last start (mode 400: not writable).
    (tmp_path / "rabbitmq-cookie").write_text("d00d" * 12)
    record = tmp_path / "record.json"
    record.unlink()
    again = subprocess.run(
        ["sh", str(BROKER_START)],
        env={**started["env"], "RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert cookie.read_text() == "d00d" * 12


@pytest.mark.parametrize(
    ("user", "password", "cookie", "says"),
    [
        ("guest", PASSWORD, COOKIE, "RABBITMQ_USER is guest"),
        ("qms", None, COOKIE, "QMS_AMQP_PASSWORD_FILE: cannot read"),
        ("qms", "", COOKIE, "is empty"),
        ("qms", PASSWORD, "", "QMS_ERLANG_COOKIE_FILE"),
    ],
)
def test_refusals_stop_before_rabbitmq_with_exit_2(
    tmp_path: Path, user: str, password: str | None, cookie: str, says: str
) -> None:
    done, started = start(
        broker("rmq1", RABBITMQ_USER=user), tmp_path, password=password, cookie=cookie
    )
    assert done.returncode == 2
    assert started is None, "RabbitMQ was started"
    (line,) = done.stderr.splitlines()
    assert line.startswith("qms: configuration error: ") and says in line
    assert PASSWORD not in line


def test_the_script_is_executable_and_plain_sh() -> None:
    assert os.access(BROKER_START, os.X_OK)
    assert BROKER_START.read_text().startswith("#!/bin/sh\n")
    done = subprocess.run(["sh", "-n", str(BROKER_START)], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
