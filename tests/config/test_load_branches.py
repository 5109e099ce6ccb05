"""Loading the branch files a glob matches: a bad file, one id twice or no file stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_branches
from shared.errors import ConfigError
from tests.config.branch_file_kit import VALID, edit, write


def test_bad_file_stops_load_branches_too(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.toml")
    bad = write(tmp_path, edit(VALID, 'prefix = "K"', 'prefix = "L"'), "b.toml")
    with pytest.raises(ConfigError) as caught:
        load_branches(str(tmp_path / "*.toml"))
    assert caught.value.source == str(bad)
    assert caught.value.key == "services[2].prefix"
    assert "'L' is already the prefix of 'bibliotek'" in caught.value.reason


def test_two_files_with_one_branch_id(tmp_path: Path) -> None:
    first = write(tmp_path, VALID, "a.toml")
    second = write(tmp_path, edit(VALID, 'name = "Test branch"', 'name = "Copy"'), "b.toml")
    with pytest.raises(ConfigError) as caught:
        load_branches(str(tmp_path / "*.toml"))
    error = caught.value
    assert error.source == str(second)
    assert error.key == "branch.id"
    assert "'test'" in error.reason
    assert str(first) in error.reason


def test_several_branches_load_by_id(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.toml")
    write(tmp_path, edit(VALID, 'id = "test"', 'id = "other-1"'), "b.toml")
    branches = load_branches(str(tmp_path / "*.toml"))
    assert sorted(branches) == ["other-1", "test"]
    assert branches["other-1"].source == str(tmp_path / "b.toml")


def test_no_file_matching_the_glob(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.txt")
    pattern = str(tmp_path / "*.toml")
    with pytest.raises(ConfigError) as caught:
        load_branches(pattern)
    assert caught.value.source == pattern
    assert caught.value.key == "QMS_BRANCHES"
    assert "no branch file matches" in caught.value.reason
