"""Secrets from files: QMS_STAFF_TOKENS_FILE, QMS_AMQP_PASSWORD_FILE (README, compose settings).

Compose mounts each secret as a file under /run/secrets/; the settings read
it. A setting given both ways, or a file that cannot be used, stops start-up
with one line naming the setting and the file (exit 2, below), never the secret.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from yarl import URL

from shared.config import Settings, StaffToken
from shared.errors import ConfigError
from tests.services.conftest import REPO

HASH_A = hashlib.sha256(b"token-a").hexdigest()
HASH_B = hashlib.sha256(b"token-b").hexdigest()
PASSWORD = "7e1f0c9a-not-guest"


def secret(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def config_error(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.source == "environment"
    return raised.value


# --- QMS_STAFF_TOKENS_FILE ------------------------------------------------


def test_staff_tokens_from_a_file_one_a_line_with_comments(tmp_path: Path) -> None:
    text = (
        "# made by deploy/setup\n"
        f"anna:staff:{HASH_A}\n"
        "\n"
        f"  bo:manager:{HASH_B.upper()} , \n"
        "   # an indented comment\n"
    )
    path = secret(tmp_path, "staff-tokens", text)
    settings = Settings.from_env({"QMS_STAFF_TOKENS_FILE": path})
    assert settings.staff_tokens == (
        StaffToken("anna", "staff", HASH_A),
        StaffToken("bo", "manager", HASH_B),
    )


def test_a_file_of_comments_only_is_no_tokens(tmp_path: Path) -> None:
    path = secret(tmp_path, "staff-tokens", "# nobody yet\n")
    assert Settings.from_env({"QMS_STAFF_TOKENS_FILE": path}).staff_tokens == ()


def test_tokens_given_both_ways_are_refused(tmp_path: Path) -> None:
    path = secret(tmp_path, "staff-tokens", f"anna:staff:{HASH_A}\n")
    error = config_error({"QMS_STAFF_TOKENS_FILE": path, "QMS_STAFF_TOKENS": f"bo:staff:{HASH_B}"})
    assert error.key == "QMS_STAFF_TOKENS_FILE"
    assert "QMS_STAFF_TOKENS is set too" in error.reason
    # An empty plain setting is no setting (compose writes empty values).
    settings = Settings.from_env({"QMS_STAFF_TOKENS_FILE": path, "QMS_STAFF_TOKENS": ""})
    assert settings.staff_tokens == (StaffToken("anna", "staff", HASH_A),)


def test_a_bad_line_is_named_by_number_never_by_its_text(tmp_path: Path) -> None:
    path = secret(tmp_path, "staff-tokens", f"# ok\nanna:staff:{HASH_A}\nbo:boss:{HASH_B}\n")
    error = config_error({"QMS_STAFF_TOKENS_FILE": path})
    assert error.key == "QMS_STAFF_TOKENS_FILE"
    assert error.reason == f"{path} line 3: role 'boss': use staff or manager"
    assert HASH_B not in str(error)


@pytest.mark.parametrize("setting", ["QMS_STAFF_TOKENS_FILE", "QMS_AMQP_PASSWORD_FILE"])
def test_a_missing_file_names_the_setting_and_the_file(tmp_path: Path, setting: str) -> None:
    missing = str(tmp_path / "absent")
    error = config_error({setting: missing, "QMS_AMQP_URL": "amqp://qms@mq/"})
    assert error.key == setting
    assert error.reason == f"cannot read {missing}: No such file or directory"


@pytest.mark.parametrize("setting", ["QMS_STAFF_TOKENS_FILE", "QMS_AMQP_PASSWORD_FILE"])
def test_a_directory_is_not_a_secret_file(tmp_path: Path, setting: str) -> None:
    # What Docker makes of a bind mount whose file is missing on the host.
    error = config_error({setting: str(tmp_path), "QMS_AMQP_URL": "amqp://qms@mq/"})
    assert (error.key, error.reason) == (setting, f"{tmp_path} is a directory, not a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = secret(tmp_path, "staff-tokens", f"anna:staff:{HASH_A}\n")
    Path(path).chmod(0)
    error = config_error({"QMS_STAFF_TOKENS_FILE": path})
    assert error.reason == f"cannot read {path}: Permission denied"


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "staff-tokens"
    path.write_bytes(b"\xff\xfe\x00")
    error = config_error({"QMS_STAFF_TOKENS_FILE": str(path)})
    assert error.reason == f"{path} is not UTF-8 text"


# --- QMS_AMQP_PASSWORD_FILE -----------------------------------------------


def test_the_password_goes_into_the_url(tmp_path: Path) -> None:
    # `echo secret > file` leaves a newline: not part of the password.
    path = secret(tmp_path, "amqp-password", PASSWORD + "\n")
    settings = Settings.from_env(
        {"QMS_AMQP_URL": "amqp://qms@rabbitmq:5672/hall", "QMS_AMQP_PASSWORD_FILE": path}
    )
    assert settings.amqp_url == f"amqp://qms:{PASSWORD}@rabbitmq:5672/hall"


def test_every_node_of_a_cluster_gets_the_password(tmp_path: Path) -> None:
    path = secret(tmp_path, "amqp-password", PASSWORD)
    settings = Settings.from_env(
        {
            "QMS_AMQP_URL": "amqp://qms@rmq1:5672/,amqp://qms@rmq2:5672/,amqps://qms@rmq3/",
            "QMS_AMQP_PASSWORD_FILE": path,
        }
    )
    assert settings.amqp_urls == (
        f"amqp://qms:{PASSWORD}@rmq1:5672/",
        f"amqp://qms:{PASSWORD}@rmq2:5672/",
        f"amqps://qms:{PASSWORD}@rmq3/",
    )


@pytest.mark.parametrize("password", ["p@ss/w,rd:%20#?", "æøå ü", "a\tb"])
def test_any_character_survives_the_url(tmp_path: Path, password: str) -> None:
    path = secret(tmp_path, "amqp-password", password)
    url = Settings.from_env({"QMS_AMQP_URL": "amqp://qms@mq/", "QMS_AMQP_PASSWORD_FILE": path})
    assert url.amqp_urls[0].startswith("amqp://qms:") and url.amqp_urls[0].endswith("@mq/")
    # One URL (the comma did not split it), and both readers get the password back:
    # urllib, and yarl, which aio-pika and the stream reader use.
    (only,) = url.amqp_urls
    assert unquote(urlsplit(only).password or "") == password
    assert URL(only).password == password
    assert URL(only).host == "mq"


def test_the_password_is_never_in_an_error(tmp_path: Path) -> None:
    path = secret(tmp_path, "amqp-password", PASSWORD)
    error = config_error(
        {"QMS_AMQP_URL": "amqp://qms@mq/,amqp://qms@mq:99999/", "QMS_AMQP_PASSWORD_FILE": path}
    )
    assert error.key == "QMS_AMQP_URL[1]"
    assert PASSWORD not in str(error)


@pytest.mark.parametrize(
    ("url", "key", "reason"),
    [
        ("amqp://qms:other@mq/", "QMS_AMQP_URL", "holds a password and QMS_AMQP_PASSWORD_FILE"),
        ("amqp://mq/", "QMS_AMQP_URL", "name the user (amqp://qms@host/)"),
        ("amqp://@mq/", "QMS_AMQP_URL", "name the user"),
        ("amqp://qms@a/,amqp://b/", "QMS_AMQP_URL[1]", "name the user"),
        ("", "QMS_AMQP_PASSWORD_FILE", "QMS_AMQP_URL is not set"),
    ],
)
def test_the_password_one_way_and_the_user_in_the_url(
    tmp_path: Path, url: str, key: str, reason: str
) -> None:
    path = secret(tmp_path, "amqp-password", PASSWORD)
    error = config_error({"QMS_AMQP_URL": url, "QMS_AMQP_PASSWORD_FILE": path})
    assert error.key == key
    assert reason in error.reason
    assert "other" not in str(error)


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_an_empty_password_file(tmp_path: Path, text: str) -> None:
    path = secret(tmp_path, "amqp-password", text)
    error = config_error({"QMS_AMQP_URL": "amqp://qms@mq/", "QMS_AMQP_PASSWORD_FILE": path})
    assert (error.key, error.reason) == ("QMS_AMQP_PASSWORD_FILE", f"{path} is empty")


def test_without_the_file_setting_the_url_is_as_given() -> None:
    for unset in ({}, {"QMS_AMQP_PASSWORD_FILE": ""}, {"QMS_AMQP_PASSWORD_FILE": "  "}):
        env = {"QMS_AMQP_URL": "amqp://guest:guest@localhost/", **unset}
        assert Settings.from_env(env).amqp_url == "amqp://guest:guest@localhost/"


def test_a_service_stops_with_exit_2_naming_the_file(tmp_path: Path) -> None:
    # As any bad setting: one line, no traceback, exit 2, before touching the broker.
    missing = tmp_path / "amqp-password"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "QMS_LOG_FORMAT": "json",
        "QMS_AMQP_URL": "amqp://qms@127.0.0.1:1/",
        "QMS_AMQP_PASSWORD_FILE": str(missing),
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.routing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    output = done.stdout + done.stderr
    assert f"QMS_AMQP_PASSWORD_FILE: cannot read {missing}" in output
    assert "Traceback" not in output
