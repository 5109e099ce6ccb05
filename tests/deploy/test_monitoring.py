"""The `monitoring` profile: Prometheus's scrape config, Grafana's files, compose's services.

promtool checks the scrape config as Prometheus reads it; Compose checks the
profile. Then Debian's Prometheus server (the package promtool comes from)
scrapes a running hall with the very same jobs, only its targets local, and
answers every query of the Grafana dashboard: each must run, and each finds
series, but the one for server errors, which a healthy hall has none of.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from tests.deploy.compose_model import (
    DEPLOY,
    OPERATOR,
    PORTS,
    QMS_SERVICES,
    SECRETS,
    compose_model,
    run_compose,
    secret_files,
)
from tests.deploy.compose_model import ENV_EXAMPLE as ENV
from tests.services.metrics_hall import MetricsHall, busy_hall
from tests.support.buses import EMBEDDED
from tests.support.processes import free_ports
from tests.support.promtool import check_config, prometheus_binary

MONITORING = DEPLOY / "monitoring"
SCRAPE_CONFIG = MONITORING / "prometheus.yml"
GRAFANA = MONITORING / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "qms.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "qms.yml"
PROMETHEUS_UP_WITHIN_S = 30.0


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def queries() -> Iterator[tuple[str, str]]:
    """(panel title, PromQL expression) of every query of the dashboard."""
    for panel in panels():
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


def test_promtool_accepts_the_scrape_config() -> None:
    done = check_config(SCRAPE_CONFIG)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_promtool_rejects_a_broken_scrape_config(tmp_path: Path) -> None:
    broken = tmp_path / "prometheus.yml"
    broken.write_text(SCRAPE_CONFIG.read_text().replace("type: A", "type: B", 1))
    done = check_config(broken)
    assert done.returncode != 0
    assert "B" in done.stdout + done.stderr


def test_the_scrape_config_finds_every_replica_of_the_four_services() -> None:
    jobs = {job["job_name"]: job for job in load_yaml(SCRAPE_CONFIG)["scrape_configs"]}
    assert set(QMS_SERVICES) <= set(jobs)
    for name in QMS_SERVICES:
        # By the compose service name: Docker's DNS gives one address per replica.
        assert jobs[name]["dns_sd_configs"] == [
            {"names": [name], "type": "A", "port": PORTS[name], "refresh_interval": "15s"}
        ], name
        assert "metrics_path" not in jobs[name]  # /metrics


def test_docker_compose_accepts_the_monitoring_profile() -> None:
    done = run_compose(
        "--profile", "monitoring", "config", "--quiet", env_file=ENV, environ=OPERATOR
    )
    assert done.returncode == 0, done.stderr


def test_prometheus_and_grafana_run_only_with_their_profile() -> None:
    assert not {"prometheus", "grafana"} & set(compose_model()["services"])
    model = compose_model(profiles=["monitoring"])
    found = model["services"]
    prometheus, grafana = found["prometheus"], found["grafana"]
    # Pinned: an image that changes under the same tag changes the dashboards' queries.
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert re.fullmatch(r"grafana/grafana-oss:\d+\.\d+\.\d+", grafana["image"])
    for service in (prometheus, grafana):
        assert service["profiles"] == ["monitoring"]
        assert service["networks"] == {"qms": None}
        assert service["restart"] == "unless-stopped"
        # For this host only, as the management UI: an SSH tunnel reaches them.
        assert [p["host_ip"] for p in service["ports"]] == ["127.0.0.1"]
    assert [p["target"] for p in prometheus["ports"]] == [9090]
    assert [p["target"] for p in grafana["ports"]] == [3000]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "--storage.tsdb.retention.time=30d" in prometheus["command"]

    def mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {v["target"]: v for v in service["volumes"]}

    config = mounts(prometheus)["/etc/prometheus/prometheus.yml"]
    assert Path(config["source"]) == SCRAPE_CONFIG and config["read_only"] is True
    assert mounts(prometheus)["/prometheus"]["source"] == "prometheus-data"
    provisioning = mounts(grafana)["/etc/grafana/provisioning"]
    assert Path(provisioning["source"]) == GRAFANA / "provisioning"
    assert provisioning["read_only"] is True
    boards_at = load_yaml(PROVIDERS)["providers"][0]["options"]["path"]
    boards = mounts(grafana)[boards_at]
    assert Path(boards["source"]) == DASHBOARD.parent and boards["read_only"] is True
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{boards_at}/{DASHBOARD.name}"
    assert mounts(grafana)["/var/lib/grafana"]["source"] == "grafana-data"
    assert {"prometheus-data", "grafana-data"} <= set(model["volumes"])
    # The first admin password is a secret file (deploy/setup), never a default.
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["environment"]
    password_at = grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    assert secret_files(model, grafana)[password_at] == SECRETS / "grafana-admin-password"


def test_grafana_reads_prometheus_under_the_uid_the_dashboard_names() -> None:
    (source,) = load_yaml(DATASOURCES)["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"  # the compose service
    named = {p["datasource"]["uid"] for p in panels()}
    named |= {t["datasource"]["uid"] for p in panels() for t in p["targets"]}
    named |= {v["datasource"]["uid"] for v in dashboard()["templating"]["list"]}
    assert named == {source["uid"]}


def test_the_dashboard_shows_what_an_operator_graphs() -> None:
    titles = {p["title"] for p in panels()}
    assert {
        "Waiting per service",
        "Longest wait against target",
        "Calls and tickets per minute",
        "HTTP errors per second",
        "Event reader lag p99",
        "Active routing replica",
    } <= titles
    ids = [p["id"] for p in dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["targets"] and panel["description"], panel["title"]


# --- The dashboard's queries on a real Prometheus ----------------------------


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[MetricsHall]:
    async with busy_hall(EMBEDDED, tmp_path / "bus", branch_id) as running:
        yield running


def local_scrape_config(hall: MetricsHall, own_port: int) -> dict[str, Any]:
    """The shipped config, scraping every second; each job's targets the hall's ports."""
    config: dict[str, Any] = load_yaml(SCRAPE_CONFIG)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s")
    for job in config["scrape_configs"]:
        name = job["job_name"]
        if name == "prometheus":
            targets = [f"127.0.0.1:{own_port}"]
        else:
            targets = [f"127.0.0.1:{s.port}" for s in hall.all if s.name == name]
        job.pop("dns_sd_configs", None)
        job["static_configs"] = [{"targets": targets}]
    return config


@pytest.fixture
async def prometheus(hall: MetricsHall, tmp_path: Path) -> AsyncIterator[str]:
    """Debian's Prometheus scraping the hall; yields its address once every target is up."""
    (port,) = free_ports(1)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_scrape_config(hall, port)))
    log = tmp_path / "prometheus.log"
    proc = start_prometheus(config, tmp_path / "tsdb", port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        await until_scraped(hall, base, log)
        yield base
    finally:
        stop(proc)


def start_prometheus(config: Path, tsdb: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                prometheus_binary(),
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def text_of(log: Path) -> str:
    return log.read_text(errors="replace")


async def api(http: aiohttp.ClientSession, base: str, path: str, **params: str) -> Any:
    async with http.get(f"{base}/api/v1/{path}", params=params) as response:
        body = await response.json()
    assert body["status"] == "success", (path, params, body)
    return body["data"]


async def until_scraped(hall: MetricsHall, base: str, log: Path) -> None:
    """Every target up, and two scrapes of the staff figures (a rate needs two samples).

    Prometheus has no event to await: its API is polled.
    """
    targets = len(hall.all) + 1
    ready = f"sum(up) == {targets} and on() min(count_over_time(qms_waiting_tickets[1m])) >= 2"
    try:
        async with asyncio.timeout(PROMETHEUS_UP_WITHIN_S):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    if (await api(hall.http, base, "query", query=ready))["result"]:
                        return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"Prometheus never scraped the hall:\n{text_of(log)}") from None


async def test_every_dashboard_query_runs_against_a_running_hall(
    hall: MetricsHall, prometheus: str
) -> None:
    template = dashboard()["templating"]["list"][0]
    metric, label = re.fullmatch(
        r"label_values\((\w+), (\w+)\)", template["query"]["query"]
    ).groups()  # type: ignore[union-attr]
    branches = await api(hall.http, prometheus, f"label/{label}/values", **{"match[]": metric})
    assert branches == [hall.branch]

    # Grafana's variables as Grafana fills them: the chosen branch, four scrape intervals.
    values = {"$branch": hall.branch, "$__rate_interval": "1m"}
    for title, expr in queries():
        query = expr
        for variable, filled in values.items():
            query = query.replace(variable, filled)
        assert "$" not in query, (title, expr)
        found = await api(hall.http, prometheus, "query", query=query)
        if 'status=~"5.."' in expr:
            assert found["result"] == [], (title, found)  # no server error in the morning
        else:
            assert found["result"], f"{title}: {query} found nothing"
