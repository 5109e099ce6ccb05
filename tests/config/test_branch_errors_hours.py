"""Bad opening hours in a branch file: ConfigError names the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_branch_file
from shared.errors import ConfigError
from tests.config.branch_file_kit import VALID, assert_refused, edit, refusals, write

BAD_HOURS = [
    # id, old, new, key, words in the reason
    (
        "range ending before it starts",
        'mon = ["10:00-17:00"]',
        'mon = ["17:00-10:00"]',
        "hours.staffed.mon",
        "ends before it starts",
    ),
    (
        "empty range",
        'mon = ["10:00-17:00"]',
        'mon = ["10:00-10:00"]',
        "hours.staffed.mon",
        "ends before it starts",
    ),
    (
        "hours past midnight",
        'mon = ["10:00-17:00"]',
        'mon = ["25:00-26:00"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "minutes out of range",
        'mon = ["10:00-17:00"]',
        'mon = ["10:00-17:60"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "24 with minutes",
        'mon = ["07:00-22:00"]',
        'mon = ["07:00-24:30"]',
        "hours.self_service.mon",
        "not a time range",
    ),
    (
        "range without minutes",
        'mon = ["10:00-17:00"]',
        'mon = ["10-17"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "range with one digit hours",
        'mon = ["10:00-17:00"]',
        'mon = ["9:00-17:00"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "range with a sign",
        'mon = ["10:00-17:00"]',
        'mon = ["+9:00-17:00"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "range with non-ASCII digits",
        'mon = ["10:00-17:00"]',
        'mon = ["\u0661\u0660:00-17:00"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "three times in one range",
        'mon = ["10:00-17:00"]',
        'mon = ["10:00-12:00-17:00"]',
        "hours.staffed.mon",
        "not a time range",
    ),
    (
        "bad range on the second day only",
        'tue = ["10:00-12:00", "13:00-17:00"]',
        'tue = ["10:00-12:00", "13:00-1700"]',
        "hours.staffed.tue",
        "not a time range",
    ),
    (
        "overlapping ranges",
        'tue = ["10:00-12:00", "13:00-17:00"]',
        'tue = ["10:00-13:30", "13:00-17:00"]',
        "hours.staffed.tue",
        "overlap",
    ),
    (
        "ranges not a list",
        'mon = ["10:00-17:00"]',
        'mon = "10:00-17:00"',
        "hours.staffed.mon",
        "must be a list",
    ),
    (
        "range not a string",
        'mon = ["10:00-17:00"]',
        "mon = [10:00:00]",
        "hours.staffed.mon",
        "must be a list",
    ),
    (
        "unknown weekday",
        'mon = ["10:00-17:00"]',
        'man = ["10:00-17:00"]',
        "hours.staffed.man",
        "unknown weekday",
    ),
    (
        "unknown kind of hours",
        "[hours.self_service]",
        "[hours.selfservice]",
        "hours.selfservice",
        "use staffed, self_service or appointments",
    ),
]


@refusals(BAD_HOURS)
def test_bad_file_names_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    assert_refused(tmp_path, old, new, key, reason)


def test_a_whole_day_may_end_at_24_00(tmp_path: Path) -> None:
    text = edit(VALID, 'mon = ["07:00-22:00"]', 'mon = ["00:00-24:00"]')
    config = load_branch_file(write(tmp_path, text))
    (whole_day,) = config.hours.self_service.days["mon"]
    assert (whole_day.start_min, whole_day.end_min) == (0, 24 * 60)


def test_hours_that_are_not_a_table(tmp_path: Path) -> None:
    text = edit(VALID, '[hours.self_service]\nmon = ["07:00-22:00"]\n', "")
    text = edit(text, '[hours.staffed]\nmon = ["10:00-17:00"]\n', "")
    text = edit(text, 'tue = ["10:00-12:00", "13:00-17:00"]\n', "")
    path = write(tmp_path, 'hours = "always"\n' + text)
    with pytest.raises(ConfigError) as caught:
        load_branch_file(path)
    assert (caught.value.source, caught.value.key) == (str(path), "hours")
    assert "must be a table" in caught.value.reason
