"""Runtime settings from the environment (README, "Environment variables")."""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path

import pytest

from shared.config import Settings, StaffToken
from shared.config.settings import parse_staff_tokens
from shared.errors import ConfigError

HASH_A = hashlib.sha256(b"token-a").hexdigest()
HASH_B = hashlib.sha256(b"token-b").hexdigest()


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.amqp_url is None
    assert settings.data_dir == Path("var")
    assert settings.branches == "deploy/branches/*.toml"
    assert settings.host == "127.0.0.1"
    assert dict(settings.ports) == {
        "ticketing": 8081,
        "staff": 8082,
        "display": 8083,
        "routing": 8084,
    }
    assert settings.staff_tokens == ()
    assert settings.log_format is None
    assert settings.public_ticketing_url is None
    assert settings.public_display_url is None
    assert settings.trusted_proxies == ()
    assert settings.allowed_origins == ()
    assert settings.frame_ancestors == ()


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "QMS_AMQP_URL": "amqp://qms:secret@rabbit:5672/",
            "QMS_DATA_DIR": "/data/qms",
            "QMS_BRANCHES": "/etc/qms/*.toml",
            "QMS_HOST": "0.0.0.0",
            "QMS_TICKETING_PORT": "9081",
            "QMS_STAFF_PORT": "9082",
            "QMS_DISPLAY_PORT": "9083",
            "QMS_ROUTING_PORT": "9084",
            "QMS_STAFF_TOKENS": f"anna:staff:{HASH_A}",
            "QMS_LOG_FORMAT": "json",
            "QMS_PUBLIC_TICKETING_URL": "https://ko.example.dk",
            "QMS_PUBLIC_DISPLAY_URL": "https://skaerm.example.dk",
        }
    )
    assert settings.amqp_url == "amqp://qms:secret@rabbit:5672/"
    assert settings.data_dir == Path("/data/qms")
    assert settings.branches == "/etc/qms/*.toml"
    assert settings.host == "0.0.0.0"
    assert [settings.port(s) for s in ("ticketing", "staff", "display", "routing")] == [
        9081,
        9082,
        9083,
        9084,
    ]
    assert settings.staff_tokens == (StaffToken("anna", "staff", HASH_A),)
    assert settings.log_format == "json"
    assert settings.public_ticketing_url == "https://ko.example.dk"
    assert settings.public_display_url == "https://skaerm.example.dk"


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings.from_env({"QMS_TRUSTED_PROXIES": "10.0.0.0/8, ::1,"})
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_TRUSTED_PROXIES": "proxy.local"})
    assert caught.value.key == "QMS_TRUSTED_PROXIES"


def test_allowed_origins_are_written_one_way() -> None:
    settings = Settings.from_env(
        {"QMS_ALLOWED_ORIGINS": "HTTPS://Skaerm.Example.dk:443, http://10.0.0.5:8080/,"}
    )
    assert settings.allowed_origins == ("https://skaerm.example.dk", "http://10.0.0.5:8080")


@pytest.mark.parametrize(
    "item", ["skaerm.example.dk", "https://a.dk/path", "ws://a.dk", "null", "https://a.dk;b"]
)
def test_an_allowed_origin_must_be_an_origin(item: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_ALLOWED_ORIGINS": f"https://ok.dk,{item}"})
    assert caught.value.key == "QMS_ALLOWED_ORIGINS"
    assert repr(item) in caught.value.reason


def test_frame_ancestors_are_space_separated_origins_or_self() -> None:
    settings = Settings.from_env({"QMS_FRAME_ANCESTORS": " 'self'  https://Player.example.dk "})
    assert settings.frame_ancestors == ("'self'", "https://player.example.dk")


@pytest.mark.parametrize("item", ["*", "https:", "'none'", "https://a.dk;script-src", "data:"])
def test_a_frame_ancestor_cannot_widen_or_break_the_policy(item: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_FRAME_ANCESTORS": item})
    assert caught.value.key == "QMS_FRAME_ANCESTORS"


def test_one_port_overridden_keeps_the_other_defaults() -> None:
    settings = Settings.from_env({"QMS_DISPLAY_PORT": "18083"})
    assert settings.port("display") == 18083
    assert settings.port("ticketing") == 8081
    assert settings.port("routing") == 8084
    # The defaults are not shared between instances.
    assert Settings.from_env({}).port("display") == 8083


def test_empty_values_mean_the_default() -> None:
    settings = Settings.from_env(
        {"QMS_AMQP_URL": "", "QMS_DATA_DIR": "", "QMS_HOST": "", "QMS_LOG_FORMAT": ""}
    )
    assert settings.amqp_url is None
    assert settings.data_dir == Path("var")
    assert settings.host == "127.0.0.1"
    assert settings.log_format is None


def test_empty_public_url_means_same_origin_not_unset() -> None:
    settings = Settings.from_env({"QMS_PUBLIC_TICKETING_URL": ""})
    assert settings.public_ticketing_url == ""
    assert settings.public_display_url is None


@pytest.mark.parametrize("value", ["console", "json"])
def test_log_formats(value: str) -> None:
    assert Settings.from_env({"QMS_LOG_FORMAT": value}).log_format == value


@pytest.mark.parametrize("value", ["JSON", "pretty", "text"])
def test_bad_log_format(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_LOG_FORMAT": value})
    assert caught.value.source == "environment"
    assert caught.value.key == "QMS_LOG_FORMAT"
    assert repr(value) in caught.value.reason
    assert "json or console" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "port"), [("0", 0), ("1", 1), ("65535", 65535), (" 8085 ", 8085)]
)
def test_port_edges(value: str, port: int) -> None:
    assert Settings.from_env({"QMS_STAFF_PORT": value}).port("staff") == port


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("http", "is not a port number"),
        ("", "is not a port number"),
        ("80.5", "is not a port number"),
        ("8_082", "is not a port number"),
        ("+8082", "is not a port number"),
        ("-1", "is not a port number"),
        ("65536", "outside 0-65535"),
        ("99999", "outside 0-65535"),
    ],
)
def test_bad_port(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_ROUTING_PORT": value})
    assert caught.value.source == "environment"
    assert caught.value.key == "QMS_ROUTING_PORT"
    assert reason in caught.value.reason
    assert str(caught.value).startswith("environment: QMS_ROUTING_PORT: ")


def test_staff_tokens_parse_in_order() -> None:
    text = f"anna:staff:{HASH_A}, bo:manager:{HASH_B.upper()} ,"
    tokens = parse_staff_tokens(text)
    assert tokens == (
        StaffToken("anna", "staff", HASH_A),
        StaffToken("bo", "manager", HASH_B),  # hashes are kept lower case
    )
    assert Settings.from_env({"QMS_STAFF_TOKENS": text}).staff_tokens == tokens


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_no_staff_tokens(text: str) -> None:
    assert parse_staff_tokens(text) == ()


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("anna", "QMS_STAFF_TOKENS[0]", "use staff_id:role:sha256hex"),
        (f"anna:{HASH_A}", "QMS_STAFF_TOKENS[0]", "use staff_id:role:sha256hex"),
        (f"anna:staff:{HASH_A}:x", "QMS_STAFF_TOKENS[0]", "use staff_id:role:sha256hex"),
        (f":staff:{HASH_A}", "QMS_STAFF_TOKENS[0]", "empty staff id"),
        (f"anna:admin:{HASH_A}", "QMS_STAFF_TOKENS[0]", "role 'admin'"),
        (f"anna:Staff:{HASH_A}", "QMS_STAFF_TOKENS[0]", "use staff or manager"),
        ("anna:staff:abc123", "QMS_STAFF_TOKENS[0]", "64 hex digits"),
        (f"anna:staff:{HASH_A[:-1]}g", "QMS_STAFF_TOKENS[0]", "64 hex digits"),
        (f"anna:staff:{HASH_A}0", "QMS_STAFF_TOKENS[0]", "64 hex digits"),
        (f"anna:staff:{HASH_A},bo:boss:{HASH_B}", "QMS_STAFF_TOKENS[1]", "role 'boss'"),
    ],
)
def test_bad_staff_tokens(text: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"QMS_STAFF_TOKENS": text})
    assert caught.value.source == "environment"
    assert caught.value.key == key
    assert reason in caught.value.reason
    # The message must never echo the hash back into a log.
    assert HASH_A not in str(caught.value)


def test_several_broker_urls_are_the_nodes_of_one_cluster() -> None:
    settings = Settings.from_env(
        {"QMS_AMQP_URL": " amqp://qms:s1@mq-a:5672/hall , amqp://qms:s2@mq-b/hall,amqps://mq-c/"}
    )
    assert settings.amqp_url == "amqp://qms:s1@mq-a:5672/hall,amqp://qms:s2@mq-b/hall,amqps://mq-c/"
    assert settings.amqp_urls == (
        "amqp://qms:s1@mq-a:5672/hall",
        "amqp://qms:s2@mq-b/hall",
        "amqps://mq-c/",
    )
    assert Settings.from_env({}).amqp_urls == ()


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        ("amqp://qms:s1@mq-a/,", "QMS_AMQP_URL[1]", "empty URL"),
        (",,", "QMS_AMQP_URL", "no URL given"),
        ("amqp://qms:s1@mq-a/,http://qms:s2@mq-b/", "QMS_AMQP_URL[1]", "use amqp://"),
        ("mq-a:5672", "QMS_AMQP_URL", "use amqp://"),
        ("amqp://qms:s1@mq-a/,amqp://qms:s2@mq-b:56x2/", "QMS_AMQP_URL[1]", "not a URL"),
        ("amqp://qms:s1@mq-a:99999/", "QMS_AMQP_URL", "not a URL"),
        ("amqp://qms:s1@/hall", "QMS_AMQP_URL", "no host"),
        ("amqp://qms:s1@mq-a/,amqp://qms:s1@mq-a/", "QMS_AMQP_URL[1]", "twice"),
    ],
)
def test_a_bad_broker_url_list_names_the_item_and_hides_the_password(
    value: str, key: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"QMS_AMQP_URL": value})
    assert raised.value.key == key
    assert reason in raised.value.reason
    assert "s1" not in str(raised.value) and "s2" not in str(raised.value)
