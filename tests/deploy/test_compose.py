"""deploy/compose.yaml: valid for Docker Compose, and shaped the way operators need.

Docker Compose itself validates the file (compose_model.py); the checks here
are what the schema cannot say: health checks and start order, nothing that
stops `--scale`, every setting documented in .env.example, a broker user
that must be chosen, secrets as files. test_hardening.py has the limits and
privileges, test_broker_start.py how the brokers start.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import (
    BROKERS,
    CLUSTER_CONF,
    CLUSTER_ENV,
    CLUSTER_NODES,
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    OPERATOR,
    PORTS,
    QMS_SERVICES,
    REPO,
    SECRETS,
    compose_model,
    documented_settings,
    example_settings,
    health_url,
    run_compose,
    secret_files,
    variables_used,
)

# What the issue asks .env.example to hold, as it must read there.
REQUIRED_SETTINGS = {
    "QMS_AMQP_URL": "",
    "QMS_HOST": "0.0.0.0",
    "QMS_PUBLIC_TICKETING_URL": "",
    "QMS_PUBLIC_DISPLAY_URL": "",
    "QMS_TICKET_RATE_LIMIT": "30",
    "QMS_BRANCHES": "/app/deploy/branches/*.toml",
    "QMS_LOG_FORMAT": "json",
    # Required: empty here, so a copied example does not start.
    "RABBITMQ_USER": "",
    "QMS_SITE_ADDRESS": ":80",
    "QMS_TLS": "public",
    "QMS_PUBLISH_ADDRESS": "0.0.0.0",
}
REFUSAL = "set RABBITMQ_USER in deploy/.env"


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return compose_model()


@pytest.fixture(scope="module")
def monitored() -> dict[str, Any]:
    """With the monitoring profile's Prometheus and Grafana."""
    return compose_model(profiles=["monitoring"])


def services(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = model["services"]
    return found


def test_docker_compose_accepts_the_file_with_the_example_settings() -> None:
    done = run_compose("config", "--quiet", env_file=ENV_EXAMPLE, environ=OPERATOR)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("profile", [(), ("--profile", "cluster")])
def test_compose_refuses_to_start_without_a_broker_user(
    tmp_path: Path, profile: tuple[str, ...]
) -> None:
    # The example as copied, and no .env at all: `up` interpolates as `config` does.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    for env_file in (ENV_EXAMPLE, empty):
        done = run_compose(*profile, "config", "--quiet", env_file=env_file)
        assert done.returncode != 0
        assert "required variable RABBITMQ_USER is missing a value" in done.stderr
        assert REFUSAL in done.stderr


def test_no_guest_anywhere(
    model: dict[str, Any], cluster: dict[str, Any], monitored: dict[str, Any]
) -> None:
    # RabbitMQ's built-in guest user exists only where no other first user is
    # named; here one always is, and the text never falls back to guest (nor
    # Grafana to its admin/admin).
    for resolved in (model, cluster, monitored):
        for name, service in services(resolved).items():
            for key, value in service.get("environment", {}).items():
                assert "guest" not in str(value), (name, key)
                assert str(value) != "admin", (name, key)
    for path in (COMPOSE_FILE, ENV_EXAMPLE, CLUSTER_ENV):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert "guest" not in line or line.lstrip().startswith("#") or REFUSAL in line, line


def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    # The validator is real: a misspelt key fails, and Compose names it.
    broken = tmp_path / "compose.yaml"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("    ulimits:", "    ulimit:", 1), encoding="utf-8")
    done = run_compose(
        "config", "--quiet", env_file=ENV_EXAMPLE, environ=OPERATOR, compose_file=broken
    )
    assert done.returncode != 0
    assert "ulimit" in done.stderr


def test_the_defaults_in_compose_yaml_are_the_documented_example(tmp_path: Path) -> None:
    # With no .env but the broker user, every ${VAR:-default} gives what .env.example shows.
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
    env.write_text("RABBITMQ_USER=hall\nQMS_TICKET_RATE_LIMIT=5\n")
    found = services(compose_model(env_file=env, environ={"RABBITMQ_USER": "hall"}))
    assert found["ticketing"]["environment"]["QMS_TICKET_RATE_LIMIT"] == "5"
    # The broker's first user and the services' user are the one setting.
    assert found["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] == "hall"
    for name in QMS_SERVICES:
        assert found[name]["environment"]["QMS_AMQP_URL"] == "amqp://hall@rabbitmq:5672/"
    # Another broker: its URL as given, the password still from the file.
    env.write_text("QMS_AMQP_URL=amqp://qms@mq.example.dk:5672/hall\n")
    elsewhere = services(compose_model(env_file=env))
    for name in QMS_SERVICES:
        assert (
            elsewhere[name]["environment"]["QMS_AMQP_URL"] == "amqp://qms@mq.example.dk:5672/hall"
        )


def test_secrets_are_files_never_the_environment(
    model: dict[str, Any], cluster: dict[str, Any], monitored: dict[str, Any]
) -> None:
    # Each top-level secret is a file in deploy/secrets/ (an environment-sourced
    # secret would also be copied into a read-only root file system: refused).
    for resolved in (model, cluster, monitored):
        for name, secret in resolved["secrets"].items():
            assert set(secret) == {"name", "file"}, name
            assert Path(secret["file"]) == SECRETS / name
    for name in QMS_SERVICES:
        service = services(model)[name]
        env = service["environment"]
        files = secret_files(model, service)
        # The password file the settings read is the secret compose mounts there.
        assert files[env["QMS_AMQP_PASSWORD_FILE"]] == SECRETS / "amqp-password"
        assert "@" in env["QMS_AMQP_URL"] and ":" not in env["QMS_AMQP_URL"].split("@")[0][7:]
        assert "QMS_STAFF_TOKENS" not in env
    staff = services(model)["staff"]
    assert secret_files(model, staff)[staff["environment"]["QMS_STAFF_TOKENS_FILE"]] == (
        SECRETS / "staff-tokens"
    )
    # The token hashes reach the one service that checks them.
    holders = [n for n, s in services(model).items() if "staff-tokens" in str(s.get("secrets"))]
    assert holders == ["staff"]
    for resolved in (model, cluster):
        for name in BROKERS:
            if name not in services(resolved):
                continue
            broker = services(resolved)[name]
            assert "RABBITMQ_DEFAULT_PASS" not in broker["environment"]
            assert secret_files(resolved, broker)[
                broker["environment"]["QMS_AMQP_PASSWORD_FILE"]
            ] == (SECRETS / "amqp-password")
    # Nothing in any environment is named like a secret but the file settings.
    for resolved in (model, cluster, monitored):
        for name, service in services(resolved).items():
            for key in service.get("environment", {}):
                if any(word in key for word in ("PASS", "TOKEN", "COOKIE", "SECRET")):
                    assert key.endswith("_FILE"), (name, key)


def test_the_secret_files_stay_out_of_git() -> None:
    for path in ("deploy/secrets/amqp-password", "deploy/secrets/staff-tokens", "deploy/.env"):
        done = subprocess.run(
            ["git", "check-ignore", "--quiet", path], cwd=REPO, check=False, timeout=30
        )
        assert done.returncode == 0, f"{path} is not ignored by git"
    assert (DEPLOY / ".gitignore").is_file()


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
    # The proxy's own, on the loopback listener of the Caddyfile (test_proxy.py runs it).
    proxy = services(model)["proxy"]["healthcheck"]
    assert proxy["test"][:2] == ["CMD", "curl"] and "--fail" in proxy["test"]
    assert proxy["test"][-1] == "http://127.0.0.1:8079/healthz"
    assert proxy["retries"] >= 2


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
        "proxy": [("0.0.0.0", "8080", 80), ("0.0.0.0", "8443", 443)],
        "rabbitmq": [("127.0.0.1", "15672", 15672)],
    }
    # One interface of the host only, when the operator says so.
    narrowed = compose_model(environ={"QMS_PUBLISH_ADDRESS": "192.0.2.10"})
    ports = services(narrowed)["proxy"]["ports"]
    assert {p["host_ip"] for p in ports} == {"192.0.2.10"}


def test_rabbitmq_keeps_its_data_and_has_file_descriptors(model: dict[str, Any]) -> None:
    rabbit = services(model)["rabbitmq"]
    assert rabbit["image"] == "rabbitmq:4.3.2-management"
    assert rabbit["ulimits"]["nofile"] == {"soft": 65536, "hard": 65536}
    # The data folder is named after the node (rabbit@hostname).
    assert rabbit["hostname"] == "rabbitmq"
    mounts = {v["target"]: (v["type"], v["source"]) for v in rabbit["volumes"]}
    assert mounts["/var/lib/rabbitmq"] == ("volume", "rabbitmq-data")
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
    assert proxy["image"].startswith("caddy:")
    mounts = {v["target"]: v for v in proxy["volumes"]}
    caddyfile = mounts["/etc/caddy/Caddyfile"]
    assert Path(caddyfile["source"]) == ENV_EXAMPLE.parent / "Caddyfile"
    assert caddyfile["read_only"] is True
    assert proxy["environment"] == {"QMS_SITE_ADDRESS": ":80", "QMS_TLS": "public"}
    https = compose_model(environ={"QMS_SITE_ADDRESS": "koe.bibliotek.lan", "QMS_TLS": "internal"})
    assert services(https)["proxy"]["environment"] == {
        "QMS_SITE_ADDRESS": "koe.bibliotek.lan",
        "QMS_TLS": "internal",
    }


# --- The cluster profile: three RabbitMQ nodes instead of the one ---------


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An operator's deploy/.env: the example with the broker user set, in the file."""
    env = tmp_path_factory.mktemp("operator") / ".env"
    env.write_text(ENV_EXAMPLE.read_text().replace("\nRABBITMQ_USER=\n", "\nRABBITMQ_USER=hall\n"))
    return env


@pytest.fixture(scope="module")
def cluster(operator_env: Path) -> dict[str, Any]:
    # The user from the file: cluster.env's URLs read it from there (${RABBITMQ_USER}).
    return compose_model(
        env_file=operator_env, environ={"RABBITMQ_USER": "hall"}, more_env_files=[CLUSTER_ENV]
    )


def test_docker_compose_accepts_the_cluster_profile(operator_env: Path) -> None:
    with_profile = run_compose(
        "--profile", "cluster", "config", "--quiet", env_file=ENV_EXAMPLE, environ=OPERATOR
    )
    assert with_profile.returncode == 0, with_profile.stderr
    recipe = run_compose(
        "config", "--format", "json", env_file=operator_env, more_env_files=[CLUSTER_ENV]
    )
    assert recipe.returncode == 0, recipe.stderr
    # cluster.env's URLs take the user from deploy/.env, the file given before it.
    url = json.loads(recipe.stdout)["services"]["routing"]["environment"]["QMS_AMQP_URL"]
    assert url.startswith("amqp://hall@rmq1:5672/,amqp://hall@rmq2:5672/"), url


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
    for node in CLUSTER_NODES:
        files = secret_files(cluster, found[node])
        # rabbitmq/start copies it into place (test_broker_start.py runs that).
        assert files[found[node]["environment"]["QMS_ERLANG_COOKIE_FILE"]] == (
            SECRETS / "rabbitmq-cookie"
        )
        assert found[node]["command"] == found["rabbitmq"]["command"] == ["sh", "/opt/qms/start"]
    # The one node makes its own cookie; it needs none.
    assert "rabbitmq-cookie" not in str(found["rabbitmq"]["secrets"])


def test_each_service_is_given_the_three_nodes(cluster: dict[str, Any]) -> None:
    for name in QMS_SERVICES:
        urls = services(cluster)[name]["environment"]["QMS_AMQP_URL"].split(",")
        hosts = [url.split("@", 1)[1].split(":", 1)[0] for url in urls]
        assert hosts == list(CLUSTER_NODES), name
        # As the user of deploy/.env, the password from the file.
        assert {url.split("@", 1)[0] for url in urls} == {"amqp://hall"}
        depends = services(cluster)[name]["depends_on"]
        assert all(depends[node]["condition"] == "service_healthy" for node in CLUSTER_NODES)


def test_the_readme_lists_every_compose_setting_and_secret(model: dict[str, Any]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Settings for compose")
    table = readme[start : readme.index("\n### ", start + 1)]
    for name in example_settings():
        assert f"`{name}`" in table, f"{name} is missing from the README's compose settings"
    for secret in model["secrets"].values():
        assert f"`deploy/secrets/{Path(secret['file']).name}`" in readme, secret["file"]
