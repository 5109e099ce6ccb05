"""A bad area, desk or service in a branch file: ConfigError names the file, key and reason."""

from __future__ import annotations

from pathlib import Path

from tests.config.branch_file_kit import assert_refused, refusals

BAD_HALL = [
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
        "desk without skills",
        'skills = ["bibliotek"]',
        "skills = []",
        "counters[0].skills",
        "at least 1",
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
]


@refusals(BAD_HALL)
def test_bad_file_names_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    assert_refused(tmp_path, old, new, key, reason)
