"""The resolved compose models the deploy tests read, each made once per test module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import CLUSTER_ENV, ENV_EXAMPLE, compose_model


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    return compose_model()


@pytest.fixture(scope="module")
def monitored() -> dict[str, Any]:
    """With the monitoring profile's Prometheus and Grafana."""
    return compose_model(profiles=["monitoring"])


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
