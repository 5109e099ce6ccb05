"""The branch file the config tests break one piece at a time, and the check they share.

`VALID` is a small, valid branch file; a test replaces one exact piece of it
(`edit`) and expects ConfigError naming the file, the key and the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_branch_file
from shared.errors import ConfigError

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


def refusals(cases: list[tuple[str, str, str, str, str]]) -> pytest.MarkDecorator:
    """Parametrize a test by (id, old, new, key, words in the reason) cases."""
    return pytest.mark.parametrize(
        ("old", "new", "key", "reason"),
        [case[1:] for case in cases],
        ids=[case[0] for case in cases],
    )


def assert_refused(tmp_path: Path, old: str, new: str, key: str, reason: str) -> None:
    """The template with `old` replaced by `new` is refused, naming the file, `key` and `reason`."""
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
