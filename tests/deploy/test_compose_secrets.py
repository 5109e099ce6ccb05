"""deploy/compose.yaml's credentials: secrets as files, never the environment, never in git,
and no default guest user anywhere.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.deploy.compose_model import (
    BROKER_USER_REFUSAL,
    BROKERS,
    CLUSTER_ENV,
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    QMS_SERVICES,
    REPO,
    SECRETS,
    secret_files,
    services,
)


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
            assert (
                "guest" not in line or line.lstrip().startswith("#") or BROKER_USER_REFUSAL in line
            ), line


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
