"""deploy/compose.yaml's services: one image, health checks and start order, nothing that
stops `--scale`, only the proxy published, the broker's data kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.deploy.compose_model import (
    CLUSTER_NODES,
    ENV_EXAMPLE,
    PORTS,
    QMS_SERVICES,
    compose_model,
    health_url,
    services,
)


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
