"""deploy/setup, the once-per-server step: the secret files and the external volumes.

It runs here as an operator runs it, from a copy of deploy/ (so the real
deploy/secrets/ is never touched), with a stand-in `docker` on PATH that
records each call.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import Settings
from shared.config.settings import parse_staff_token_file
from tests.deploy.compose_model import REPO, SETUP, compose_model

SECRET_NAMES = {"amqp-password", "rabbitmq-cookie", "staff-tokens", "grafana-admin-password"}


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "deploy"
    folder.mkdir()
    shutil.copy2(SETUP, folder / "setup")
    return folder


def run_setup(
    deploy: Path, tmp_path: Path, *, with_docker: bool = True
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "docker-calls"
    docker = bin_dir / "docker"
    if with_docker:
        docker.write_text(f'#!/bin/sh\necho "$*" >> {calls}\necho "$3"\n')
        docker.chmod(0o755)
    elif docker.exists():
        docker.unlink()
    # Only the tools any server has; docker is the stand-in or none.
    return subprocess.run(
        [str(deploy / "setup")],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_setup_makes_the_secrets_compose_mounts(deploy_copy: Path, tmp_path: Path) -> None:
    done = run_setup(deploy_copy, tmp_path)
    assert done.returncode == 0, done.stderr
    secrets = deploy_copy / "secrets"
    assert {p.name for p in secrets.iterdir()} == SECRET_NAMES
    # The folder is the owner's alone; the files readable by the containers' users.
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for path in secrets.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
    # Exactly the files compose.yaml's secrets name.
    model = compose_model(profiles=["monitoring", "cluster"])
    assert {Path(s["file"]).name for s in model["secrets"].values()} == SECRET_NAMES
    for name in ("amqp-password", "rabbitmq-cookie", "grafana-admin-password"):
        assert re.fullmatch(r"[0-9a-f]{48}", (secrets / name).read_text()), name
    assert (secrets / "amqp-password").read_text() != (secrets / "rabbitmq-cookie").read_text()


def test_the_files_work_as_the_services_read_them(deploy_copy: Path, tmp_path: Path) -> None:
    assert run_setup(deploy_copy, tmp_path).returncode == 0
    secrets = deploy_copy / "secrets"
    settings = Settings.from_env(
        {
            "QMS_AMQP_URL": "amqp://qms@rabbitmq:5672/",
            "QMS_AMQP_PASSWORD_FILE": str(secrets / "amqp-password"),
            "QMS_STAFF_TOKENS_FILE": str(secrets / "staff-tokens"),
        }
    )
    password = (secrets / "amqp-password").read_text()
    assert settings.amqp_url == f"amqp://qms:{password}@rabbitmq:5672/"
    # No token yet: the file says how to add one, and that recipe works.
    assert settings.staff_tokens == ()
    text = (secrets / "staff-tokens").read_text()
    (recipe,) = [line for line in text.splitlines() if "sha256sum" in line]
    token = "a-token-for-anna"
    command = recipe.lstrip("# ").replace(
        "deploy/secrets/staff-tokens", str(secrets / "staff-tokens")
    )
    subprocess.run(
        ["sh", "-c", f"token={token}; {command}"],
        check=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    (added,) = parse_staff_token_file((secrets / "staff-tokens").read_text(), "staff-tokens")
    hashed = subprocess.run(
        [sys.executable, "-m", "services.cli", "hash-token", "--", token],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=30,
    )
    assert (added.staff_id, added.role, added.sha256) == ("anna", "staff", hashed.stdout.strip())


def test_setup_never_overwrites_a_secret(deploy_copy: Path, tmp_path: Path) -> None:
    assert run_setup(deploy_copy, tmp_path).returncode == 0
    secrets = deploy_copy / "secrets"
    before = {p.name: p.read_text() for p in secrets.iterdir()}
    (secrets / "staff-tokens").write_text("anna:staff:" + "a" * 64 + "\n")
    (secrets / "staff-tokens").chmod(0o600)  # as an editor may leave it
    again = run_setup(deploy_copy, tmp_path)
    assert again.returncode == 0, again.stderr
    assert (secrets / "amqp-password").read_text() == before["amqp-password"]
    assert (secrets / "staff-tokens").read_text() == "anna:staff:" + "a" * 64 + "\n"
    assert stat.S_IMODE((secrets / "staff-tokens").stat().st_mode) == 0o644
    assert "kept" in again.stdout and "made" not in again.stdout


def test_setup_makes_every_external_volume(deploy_copy: Path, tmp_path: Path) -> None:
    assert run_setup(deploy_copy, tmp_path).returncode == 0
    calls = (tmp_path / "docker-calls").read_text().splitlines()
    made = {call.removeprefix("volume create ") for call in calls}
    assert all(call.startswith("volume create ") for call in calls)
    external = {
        volume["name"]
        for model in (compose_model(profiles=["monitoring", "cluster"]),)
        for volume in model["volumes"].values()
        if volume.get("external")
    }
    assert made == external


@pytest.mark.skipif(
    any((Path(p) / "docker").exists() for p in ("/usr/bin", "/bin")),
    reason="docker is installed in /usr/bin or /bin here",
)
def test_without_docker_the_secrets_are_made_and_the_volumes_named(
    deploy_copy: Path, tmp_path: Path
) -> None:
    done = run_setup(deploy_copy, tmp_path, with_docker=False)
    assert done.returncode == 1
    assert {p.name for p in (deploy_copy / "secrets").iterdir()} == SECRET_NAMES
    assert "docker volume create" in done.stderr and "qms_rabbitmq-data" in done.stderr


def test_the_script_is_executable_and_plain_sh() -> None:
    assert os.access(SETUP, os.X_OK)
    assert SETUP.read_text().startswith("#!/bin/sh\n")
