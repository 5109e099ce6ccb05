"""deploy/compose.yaml's cluster profile: three RabbitMQ nodes instead of the one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.deploy.compose_model import (
    CLUSTER_CONF,
    CLUSTER_ENV,
    CLUSTER_NODES,
    ENV_EXAMPLE,
    OPERATOR,
    QMS_SERVICES,
    SECRETS,
    compose_model,
    run_compose,
    secret_files,
    services,
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
