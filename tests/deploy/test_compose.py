"""deploy/compose.yaml: valid for Docker Compose, and shaped the way operators need.

Docker Compose itself validates the file (compose_model.py); the checks here
are what the schema cannot say: health checks and start order, nothing that
stops `--scale`, every setting documented in .env.example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import (
    CLUSTER_CONF,
    CLUSTER_ENV,
    CLUSTER_NODES,
    COMPOSE_FILE,
    ENV_EXAMPLE,
    PORTS,
    QMS_SERVICES,
    compose_model,
    documented_settings,
    example_settings,
    health_url,
    run_compose,
    variables_used,
)

# What the issue asks .env.example to hold, as it must read there.
REQUIRED_SETTINGS = {
    "QMS_AMQP_URL": "amqp://guest:guest@rabbitmq:5672/",
    "QMS_HOST": "0.0.0.0",
    "QMS_STAFF_TOKENS": "",
    "QMS_PUBLIC_TICKETING_URL": "",
    "QMS_PUBLIC_DISPLAY_URL": "",
    "QMS_TICKET_RATE_LIMIT": "30",
    "QMS_BRANCHES": "/app/deploy/branches/*.toml",
    "QMS_LOG_FORMAT": "json",
}


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return compose_model()


def services(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = model["services"]
    return found


def test_docker_compose_accepts_the_file_with_the_example_settings() -> None:
    done = run_compose("config", "--quiet", env_file=ENV_EXAMPLE)
    assert done.returncode == 0, done.stderr


def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    # The validator is real: a misspelt key fails, and Compose names it.
    broken = tmp_path / "compose.yaml"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("    ulimits:", "    ulimit:", 1), encoding="utf-8")
    done = run_compose("config", "--quiet", env_file=ENV_EXAMPLE, compose_file=broken)
    assert done.returncode != 0
    assert "ulimit" in done.stderr


def test_the_defaults_in_compose_yaml_are_the_documented_example(tmp_path: Path) -> None:
    # With no .env at all, every ${VAR:-default} gives what .env.example shows.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    assert compose_model(env_file=empty) == compose_model()


def test_every_setting_is_documented_in_env_example() -> None:
    settings = example_settings()
    documented = documented_settings()
    for name, value in REQUIRED_SETTINGS.items():
        assert settings.get(name) == value, name
    assert variables_used() == set(settings), "read in compose.yaml/Caddyfile vs .env.example"
    for name in settings:
        assert len(documented[name]) >= 40, f"{name} has no comment above it in .env.example"


def test_an_env_setting_reaches_the_services(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "QMS_STAFF_TOKENS=anna:staff:" + "a" * 64 + "\nQMS_TICKET_RATE_LIMIT=5\n"
        "QMS_AMQP_URL=amqp://qms:secret@rabbitmq:5672/\n"
    )
    found = services(compose_model(env_file=env))
    assert found["staff"]["environment"]["QMS_STAFF_TOKENS"] == "anna:staff:" + "a" * 64
    assert found["ticketing"]["environment"]["QMS_TICKET_RATE_LIMIT"] == "5"
    for name in QMS_SERVICES:
        assert found[name]["environment"]["QMS_AMQP_URL"] == "amqp://qms:secret@rabbitmq:5672/"
    # Staff tokens go to the one service that checks them.
    assert [n for n in QMS_SERVICES if "QMS_STAFF_TOKENS" in found[n]["environment"]] == ["staff"]


def test_each_service_runs_its_module_from_the_one_image(model: dict[str, Any]) -> None:
    found = services(model)
    for name in QMS_SERVICES:
        service = found[name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert Path(service["build"]["context"]).resolve() == ENV_EXAMPLE.parent.parent
        assert service["image"] == found["routing"]["image"]
        assert service["environment"]["QMS_HOST"] == "0.0.0.0"
        assert service["environment"]["QMS_LOG_FORMAT"] == "json"
        assert service["restart"] == "unless-stopped"


def test_each_service_checks_its_own_healthz(model: dict[str, Any]) -> None:
    for name in QMS_SERVICES:
        check = services(model)[name]["healthcheck"]
        assert health_url(check["test"]) == f"http://127.0.0.1:{PORTS[name]}/healthz"
        assert check["retries"] >= 2
    rabbit = services(model)["rabbitmq"]["healthcheck"]
    assert rabbit["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]


def test_start_order_waits_for_health(model: dict[str, Any]) -> None:
    found = services(model)
    brokers = {"rabbitmq", *CLUSTER_NODES}
    wants = {
        "routing": brokers,
        "display": brokers,
        "ticketing": {*brokers, "routing"},
        "staff": {*brokers, "routing"},
        "proxy": {"ticketing", "staff", "display"},
    }
    for name, needs in wants.items():
        depends = found[name]["depends_on"]
        assert set(depends) == needs, name
        assert {d["condition"] for d in depends.values()} == {"service_healthy"}, name
        # The cluster's nodes only when their profile is on.
        optional = {dep for dep, d in depends.items() if d["required"] is False}
        assert optional == (set(CLUSTER_NODES) if name != "proxy" else set()), name


def test_services_can_be_scaled(model: dict[str, Any]) -> None:
    # `--scale routing=2 --scale display=2` must not collide on a name or a port.
    for name in QMS_SERVICES:
        service = services(model)[name]
        for key in ("container_name", "ports", "deploy", "hostname"):
            assert key not in service, f"{name} has {key}: it cannot be scaled"
        assert service["networks"] == {"qms": None}, "no fixed address either"
        assert service["expose"] == [str(PORTS[name])]


def test_only_the_proxy_is_published(model: dict[str, Any]) -> None:
    published = {
        name: [(p.get("host_ip", ""), p["published"], p["target"]) for p in s.get("ports", [])]
        for name, s in services(model).items()
        if s.get("ports")
    }
    assert published == {
        "proxy": [("", "8080", 80), ("", "8443", 443)],
        "rabbitmq": [("127.0.0.1", "15672", 15672)],
    }


def test_rabbitmq_keeps_its_data_and_has_file_descriptors(model: dict[str, Any]) -> None:
    rabbit = services(model)["rabbitmq"]
    assert rabbit["image"] == "rabbitmq:3.13-management"
    assert rabbit["ulimits"]["nofile"] == {"soft": 65536, "hard": 65536}
    # The data folder is named after the node (rabbit@hostname).
    assert rabbit["hostname"] == "rabbitmq"
    mounts = {(v["type"], v["source"], v["target"]) for v in rabbit["volumes"]}
    assert mounts == {("volume", "rabbitmq-data", "/var/lib/rabbitmq")}
    assert "rabbitmq-data" in model["volumes"]


def test_services_keep_nothing_and_read_the_branch_files(model: dict[str, Any]) -> None:
    for name in QMS_SERVICES:
        service = services(model)[name]
        (mount,) = service["volumes"]
        assert mount["type"] == "bind" and mount["read_only"] is True
        assert Path(mount["source"]) == ENV_EXAMPLE.parent / "branches"
        assert mount["target"] == "/app/deploy/branches"
        assert service["environment"]["QMS_BRANCHES"] == mount["target"] + "/*.toml"


def test_the_services_trust_forwarded_for_only_from_the_compose_network(
    model: dict[str, Any],
) -> None:
    (subnet,) = model["networks"]["qms"]["ipam"]["config"]
    for name in ("ticketing", "staff", "display", "routing"):
        trusted = services(model)[name]["environment"]["QMS_TRUSTED_PROXIES"]
        assert trusted == subnet["subnet"], name


def test_the_proxy_is_caddy_with_the_deploy_caddyfile(model: dict[str, Any]) -> None:
    proxy = services(model)["proxy"]
    assert proxy["image"] == "caddy:2"
    mounts = {v["target"]: v for v in proxy["volumes"]}
    caddyfile = mounts["/etc/caddy/Caddyfile"]
    assert Path(caddyfile["source"]) == ENV_EXAMPLE.parent / "Caddyfile"
    assert caddyfile["read_only"] is True
    assert proxy["environment"]["QMS_SITE_ADDRESS"] == ":80"


# --- The cluster profile: three RabbitMQ nodes instead of the one ---------


@pytest.fixture(scope="module")
def cookie_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An operator's deploy/.env for the cluster: the example with a cookie set."""
    env = tmp_path_factory.mktemp("cluster") / ".env"
    env.write_text(ENV_EXAMPLE.read_text() + "\nQMS_RABBITMQ_COOKIE=" + "c0ffee" * 8 + "\n")
    return env


@pytest.fixture(scope="module")
def cluster(cookie_env: Path) -> dict[str, Any]:
    return compose_model(env_file=cookie_env, more_env_files=[CLUSTER_ENV])


def test_docker_compose_accepts_the_cluster_profile(cookie_env: Path) -> None:
    with_profile = run_compose("--profile", "cluster", "config", "--quiet", env_file=ENV_EXAMPLE)
    assert with_profile.returncode == 0, with_profile.stderr
    recipe = run_compose("config", "--quiet", env_file=cookie_env, more_env_files=[CLUSTER_ENV])
    assert recipe.returncode == 0, recipe.stderr


def test_the_cluster_nodes_run_only_with_their_profile(
    model: dict[str, Any], cluster: dict[str, Any]
) -> None:
    assert not set(CLUSTER_NODES) & set(services(model))
    assert services(model)["rabbitmq"]["scale"] == 1
    profiled = compose_model(profiles=["cluster"])
    assert set(CLUSTER_NODES) <= set(services(profiled))
    # cluster.env turns the profile on and the one node off.
    assert set(CLUSTER_NODES) <= set(services(cluster))
    assert services(cluster)["rabbitmq"]["scale"] == 0


def test_three_nodes_find_each_other_from_config(cluster: dict[str, Any]) -> None:
    found = services(cluster)
    conf = {
        key.strip(): value.strip()
        for key, _, value in (
            line.partition("=")
            for line in CLUSTER_CONF.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        )
    }
    assert conf["cluster_formation.peer_discovery_backend"] == "classic_config"
    listed = {v for k, v in conf.items() if k.startswith("cluster_formation.classic_config.nodes.")}
    assert listed == {f"rabbit@{node}" for node in CLUSTER_NODES}
    for node in CLUSTER_NODES:
        service = found[node]
        assert service["profiles"] == ["cluster"]
        # The node name is rabbit@<hostname>: the name the config lists.
        assert service["hostname"] == node
        assert service["image"] == found["rabbitmq"]["image"]
        mounts = {v["target"]: v for v in service["volumes"]}
        assert mounts["/var/lib/rabbitmq"]["source"] == f"{node}-data"
        config = mounts["/etc/rabbitmq/conf.d/20-cluster.conf"]
        assert Path(config["source"]) == CLUSTER_CONF and config["read_only"] is True
        assert f"{node}-data" in cluster["volumes"]
        assert service["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]


def test_the_nodes_share_one_erlang_cookie(cluster: dict[str, Any]) -> None:
    found = services(cluster)
    secrets = {node: found[node]["secrets"] for node in CLUSTER_NODES}
    assert all(
        s == [{"source": "rabbitmq-cookie", "target": "/run/secrets/rabbitmq-cookie"}]
        for s in secrets.values()
    ), secrets
    assert cluster["secrets"]["rabbitmq-cookie"]["environment"] == "QMS_RABBITMQ_COOKIE"
    for node in CLUSTER_NODES:
        # Copied to where RabbitMQ reads it, owner-only as Erlang insists, before the server.
        script = found[node]["command"][-1]
        assert "/run/secrets/rabbitmq-cookie" in script and "-m 400" in script
        assert script.endswith(
            "/var/lib/rabbitmq/.erlang.cookie && exec docker-entrypoint.sh rabbitmq-server"
        )


def test_each_service_is_given_the_three_nodes(cluster: dict[str, Any]) -> None:
    for name in QMS_SERVICES:
        urls = services(cluster)[name]["environment"]["QMS_AMQP_URL"].split(",")
        hosts = [url.split("@", 1)[1].split(":", 1)[0] for url in urls]
        assert hosts == list(CLUSTER_NODES), name
        depends = services(cluster)[name]["depends_on"]
        assert all(depends[node]["condition"] == "service_healthy" for node in CLUSTER_NODES)
