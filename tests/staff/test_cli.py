"""`qms staff`: the desk from the command line, as a real process against a running hall."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

import pytest

from services.cli import main
from services.staff_cli import base_url, demo_token
from shared.config import Settings, StaffToken
from tests.services.conftest import REPO
from tests.staff.conftest import STAFF_TOKEN, Hall


async def qms_staff(
    hall: Hall, *args: str, token: str | None = STAFF_TOKEN
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `qms staff --branch B ...`, its URL from QMS_STAFF_URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(QMS_STAFF_URL=hall.base, PYTHONPATH=str(REPO))
    if token is not None:
        env["QMS_STAFF_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "staff",
        "--branch",
        hall.branch,
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode().strip(), err.decode().strip()


async def test_a_desk_from_the_command_line(embedded_hall: Hall) -> None:
    hall = embedded_hall
    assert await qms_staff(hall, "--counter", "service-1", "open") == (
        0,
        "Skranke 1 er åben: pas, koerekort",
        "",
    )
    code, out, err = await qms_staff(hall, "--counter", "service-1", "call-next")
    assert (code, out) == (1, "")
    assert err == "qms staff: no one is waiting for this desk (no_waiting_ticket)"

    await hall.issue("pas")
    steps = [
        (("call-next",), "Skranke 1 kalder P001 (pas)"),
        (("transfer", "koerekort", "--front"), "P001 er flyttet til koerekort (forrest i køen)"),
        (("call-next",), "Skranke 1 kalder P001 (koerekort)"),
        (("finish",), "Skranke 1 er færdig med P001 (0 min)"),
        (("close",), "Skranke 1 er lukket"),
    ]
    for args, line in steps:
        assert await qms_staff(hall, "--counter", "service-1", *args) == (0, line, ""), args

    code, _, err = await qms_staff(hall, "--counter", "service-1", "finish")
    assert code == 1
    assert err.endswith("(counter_closed)")


async def test_a_wrong_token_fails_with_the_api_message(embedded_hall: Hall) -> None:
    code, _, err = await qms_staff(embedded_hall, "--counter", "service-1", "open", token="nope")
    assert code == 1
    assert err == "qms staff: the staff token is not valid (unauthorized)"


def run_main(capsys: pytest.CaptureFixture[str], *args: str, token: str | None) -> tuple[int, str]:
    """`qms staff` in this process (for cases that never reach a server)."""
    saved = os.environ.get("QMS_STAFF_TOKEN")
    os.environ.pop("QMS_STAFF_TOKEN", None)
    if token is not None:
        os.environ["QMS_STAFF_TOKEN"] = token
    try:
        code = main(["staff", "--branch", "b", "--counter", "c", *args])
    finally:
        os.environ.pop("QMS_STAFF_TOKEN", None)
        if saved is not None:
            os.environ["QMS_STAFF_TOKEN"] = saved
    return code, capsys.readouterr().err.strip()


def test_usage_problems_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(capsys, "open", token=None) == (
        2,
        "qms staff: set QMS_STAFF_TOKEN to your staff token",
    )
    code, err = run_main(capsys, "transfer", token="x")
    assert (code, err) == (2, "qms staff: transfer needs a service: qms staff ... transfer SERVICE")
    code, err = run_main(capsys, "finish", "pas", token="x")
    assert code == 2 and "takes no service" in err


def test_no_staff_service_is_a_clear_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(capsys, "open", "--url", "http://127.0.0.1:9", token="x")
    assert code == 1
    assert err.startswith("qms staff: cannot reach the staff service at http://127.0.0.1:9")


def test_the_address_comes_from_url_env_or_port() -> None:
    assert base_url("http://h:1/", {}) == "http://h:1"
    assert base_url(None, {"QMS_STAFF_URL": "http://s/"}) == "http://s"
    assert base_url(None, {"QMS_STAFF_PORT": "9000"}) == "http://127.0.0.1:9000"
    assert base_url(None, {}) == "http://127.0.0.1:8082"


def test_a_demo_token_is_a_one_off_manager_token() -> None:
    made = demo_token(Settings())
    assert made is not None
    token, settings, env_value = made
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert settings.staff_tokens == (StaffToken("demo", "manager", digest),)
    assert env_value == f"demo:manager:{digest}"
    assert demo_token(settings) is None  # configured tokens: no demo token
    assert demo_token(Settings())[0] != token  # type: ignore[index]
