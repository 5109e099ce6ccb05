"""A bad branch file raises ConfigError naming the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_branch_file, load_branches
from shared.errors import ConfigError, QmsError

VALID = """\
[branch]
id = "test"
name = "Test branch"
timezone = "Europe/Copenhagen"
max_recalls = 2

[hours.staffed]
mon = ["10:00-17:00"]
tue = ["10:00-12:00", "13:00-17:00"]

[hours.self_service]
mon = ["07:00-22:00"]

[[areas]]
id = "kvik"
name = "KVIK"

[[areas]]
id = "service"
name = "SERVICE"

[[counters]]
id = "kvik-1"
area = "kvik"
name = "KVIK 1"
skills = ["bibliotek"]

[[counters]]
id = "service-1"
area = "service"
name = "Skranke 1"
skills = ["pas", "koerekort"]

[[services]]
id = "bibliotek"
name = { da = "Bibliotek", en = "Library" }
area = "kvik"
prefix = "L"
target_wait_min = 5
service_time_min = 3

[[services]]
id = "pas"
name = { da = "Pas", en = "Passport" }
area = "service"
prefix = "P"
target_wait_min = 15
service_time_min = 10

[[services]]
id = "koerekort"
name = { da = "Kørekort", en = "Driving licence" }
area = "service"
prefix = "K"
target_wait_min = 15
service_time_min = 10
"""


def edit(text: str, old: str, new: str) -> str:
    """Replace one exact, unique piece of the template (so a template change fails loudly)."""
    assert text.count(old) == 1, f"{old!r} is not unique in the template"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "branch.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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


def test_a_whole_day_may_end_at_24_00(tmp_path: Path) -> None:
    text = edit(VALID, 'mon = ["07:00-22:00"]', 'mon = ["00:00-24:00"]')
    config = load_branch_file(write(tmp_path, text))
    (whole_day,) = config.hours.self_service.days["mon"]
    assert (whole_day.start_min, whole_day.end_min) == (0, 24 * 60)


BAD_CASES = [
    # id, old, new, key, words in the reason
    (
        "desk in unknown area",
        'area = "service"\nname = "Skranke 1"',
        'area = "lobby"\nname = "Skranke 1"',
        "counters[1].area",
        "unknown area 'lobby'",
    ),
    (
        "skill naming unknown service",
        'skills = ["pas", "koerekort"]',
        'skills = ["pas", "vielse"]',
        "counters[1].skills[1]",
        "unknown service 'vielse'",
    ),
    (
        "service in unknown area",
        'area = "kvik"\nprefix = "L"',
        'area = "cafe"\nprefix = "L"',
        "services[0].area",
        "unknown area 'cafe'",
    ),
    (
        "two services with one prefix",
        'prefix = "K"',
        'prefix = "P"',
        "services[2].prefix",
        "'P' is already the prefix of 'pas'",
    ),
    (
        "prefix not one capital letter",
        'prefix = "K"',
        'prefix = "k"',
        "services[2].prefix",
        "should match pattern",
    ),
    (
        "prefix of two letters",
        'prefix = "K"',
        'prefix = "KK"',
        "services[2].prefix",
        "should match pattern",
    ),
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
        "missing prefix",
        'prefix = "L"\n',
        "",
        "services[0].prefix",
        "Field required",
    ),
    (
        "missing localized name",
        'name = { da = "Pas", en = "Passport" }',
        'name = { da = "Pas" }',
        "services[1].name.en",
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
        "desk without skills",
        'skills = ["bibliotek"]',
        "skills = []",
        "counters[0].skills",
        "at least 1",
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
        "zero target wait",
        "target_wait_min = 5",
        "target_wait_min = 0",
        "services[0].target_wait_min",
        "greater than 0",
    ),
    (
        "infinite service time",
        "service_time_min = 3",
        "service_time_min = inf",
        "services[0].service_time_min",
        "less than or equal to 1440",
    ),
    (
        "service time as text",
        "service_time_min = 3",
        'service_time_min = "three"',
        "services[0].service_time_min",
        "valid number",
    ),
    (
        "two desks with one id",
        'id = "service-1"',
        'id = "kvik-1"',
        "counters[1].id",
        "'kvik-1' is used twice",
    ),
    (
        "two services with one id",
        'id = "koerekort"',
        'id = "pas"',
        "services[2].id",
        "'pas' is used twice",
    ),
    (
        "two areas with one id",
        'id = "service"\nname = "SERVICE"',
        'id = "kvik"\nname = "SERVICE"',
        "areas[1].id",
        "'kvik' is used twice",
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


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [case[1:] for case in BAD_CASES],
    ids=[case[0] for case in BAD_CASES],
)
def test_bad_file_names_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    path = write(tmp_path, edit(VALID, old, new))
    with pytest.raises(ConfigError) as caught:
        load_branch_file(path)
    error = caught.value
    assert error.source == str(path)
    assert error.key == key
    assert reason in error.reason
    message = str(error)
    assert message.startswith(f"{path}: {key}: ")
    assert reason in message


def test_hours_that_are_not_a_table(tmp_path: Path) -> None:
    text = edit(VALID, '[hours.self_service]\nmon = ["07:00-22:00"]\n', "")
    text = edit(text, '[hours.staffed]\nmon = ["10:00-17:00"]\n', "")
    text = edit(text, 'tue = ["10:00-12:00", "13:00-17:00"]\n', "")
    path = write(tmp_path, 'hours = "always"\n' + text)
    with pytest.raises(ConfigError) as caught:
        load_branch_file(path)
    assert (caught.value.source, caught.value.key) == (str(path), "hours")
    assert "must be a table" in caught.value.reason


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
