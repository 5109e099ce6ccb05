"""A bad branch file as a whole (TOML syntax, encoding, the [branch] section, unknown keys):
ConfigError names the file, the key and the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_branch_file
from shared.errors import ConfigError, QmsError
from tests.config.branch_file_kit import VALID, assert_refused, edit, refusals, write

BAD_FILE = [
    # id, old, new, key, words in the reason
    (
        "unknown time zone",
        'timezone = "Europe/Copenhagen"',
        'timezone = "Europe/Grindsted"',
        "branch.timezone",
        "unknown time zone 'Europe/Grindsted'",
    ),
    (
        "time zone naming a folder of zones",
        'timezone = "Europe/Copenhagen"',
        'timezone = "Europe"',
        "branch.timezone",
        "unknown time zone 'Europe'",
    ),
    (
        "time zone that is a path",
        'timezone = "Europe/Copenhagen"',
        'timezone = "../etc/localtime"',
        "branch.timezone",
        "unknown time zone",
    ),
    (
        "missing time zone",
        'timezone = "Europe/Copenhagen"\n',
        "",
        "branch.timezone",
        "Field required",
    ),
    (
        "missing branch section",
        '[branch]\nid = "test"\nname = "Test branch"\ntimezone = "Europe/Copenhagen"\n'
        "max_recalls = 2\n",
        "",
        "branch",
        "Field required",
    ),
    (
        "misspelt key",
        "max_recalls = 2",
        "max_recall = 2",
        "branch.max_recall",
        "Extra inputs are not permitted",
    ),
    (
        "unknown top-level section",
        '[[areas]]\nid = "kvik"',
        '[extra]\nx = 1\n\n[[areas]]\nid = "kvik"',
        "extra",
        "Extra inputs are not permitted",
    ),
    (
        "bad branch id",
        'id = "test"',
        'id = "Test Branch"',
        "branch.id",
        "should match pattern",
    ),
    (
        "negative max_recalls",
        "max_recalls = 2",
        "max_recalls = -1",
        "branch.max_recalls",
        "greater than or equal to 0",
    ),
    (
        "syntax error",
        'name = "Test branch"',
        'name = "Test branch',
        "(syntax)",
        "line 3",
    ),
    (
        "table defined twice",
        "[hours.self_service]",
        "[hours.staffed]",
        "(syntax)",
        "line",
    ),
]


@refusals(BAD_FILE)
def test_bad_file_names_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    assert_refused(tmp_path, old, new, key, reason)


def test_the_template_itself_is_valid(tmp_path: Path) -> None:
    config = load_branch_file(write(tmp_path, VALID))
    assert config.id == "test"
    assert config.source == str(tmp_path / "branch.toml")
    assert [s.prefix for s in config.services] == ["L", "P", "K"]
    tue = config.hours.staffed.days["tue"]
    assert [str(r) for r in tue] == ["10:00-12:00", "13:00-17:00"]


def test_optional_parts_may_be_left_out(tmp_path: Path) -> None:
    text = edit(VALID, "max_recalls = 2\n", "")
    text = edit(text, '[hours.self_service]\nmon = ["07:00-22:00"]\n', "")
    config = load_branch_file(write(tmp_path, text))
    assert config.branch.max_recalls == 2
    assert config.hours.self_service.days == {}


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(
        VALID.replace('"Test branch"', '"Bibliotek & Borgerservice, Kørekort"').encode("latin-1")
    )
    with pytest.raises(ConfigError) as caught:
        load_branch_file(path)
    assert caught.value.source == str(path)
    assert caught.value.key == "(file)"
    assert "UTF-8" in caught.value.reason


def test_file_that_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as caught:
        load_branch_file(path)
    assert caught.value.source == str(path)
    assert caught.value.key == "(file)"
    assert "cannot read" in caught.value.reason


def test_config_error_is_a_qms_error() -> None:
    error = ConfigError("x.toml", "branch.id", "bad")
    assert isinstance(error, QmsError)
    assert (error.source, error.key, error.reason) == ("x.toml", "branch.id", "bad")
    assert str(error) == "x.toml: branch.id: bad"
