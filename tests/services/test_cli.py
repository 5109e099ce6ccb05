"""`qms` commands that need no services, and the list of pages `qms up` prints."""

from __future__ import annotations

import hashlib

import pytest

from services.cli import main, pages
from shared.config import BranchConfig


def test_hash_token_prints_the_sha256_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hash-token", "s3cret-token"]) == 0
    out = capsys.readouterr().out
    assert out == hashlib.sha256(b"s3cret-token").hexdigest() + "\n"


def test_a_token_starting_with_a_dash_is_hashed_after_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # token_urlsafe() starts with "-" one time in 64.
    assert main(["hash-token", "--", "-AKpXfQSl2imysX1"]) == 0
    assert capsys.readouterr().out == hashlib.sha256(b"-AKpXfQSl2imysX1").hexdigest() + "\n"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_pages_are_the_ones_design_lists_for_each_branch(
    branches: dict[str, BranchConfig], branch_id: str
) -> None:
    paths = [(service, path) for service, _, path in pages(branches[branch_id])]
    assert paths == [
        ("ticketing", f"/kiosk/{branch_id}"),
        ("staff", f"/staff/{branch_id}"),
        ("staff", f"/manager/{branch_id}"),
        ("display", f"/display/{branch_id}/kvik"),
        ("display", f"/display/{branch_id}/service"),
    ]
