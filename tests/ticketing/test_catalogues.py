"""The citizen pages' catalogues (services/ticketing/static/i18n/): one per language, alike.

Every catalogue has exactly the keys of da.json, uses no placeholder the
Danish does not have, and gives every plural phrase its "other" form (the
forms each language needs are checked in Chromium, whose Intl knows them:
test_languages_browser.py).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from services.ticketing.pages import STATIC_DIR

I18N = STATIC_DIR / "i18n"
# The languages as i18n.js lists them: (code, native name, direction), and each one's locale.
_ENTRY = re.compile(r'\{ code: "(\w+)", name: "([^"]+)", locale: "([\w-]+)", dir: "(ltr|rtl)" \}')
_ENTRIES = _ENTRY.findall((STATIC_DIR / "i18n.js").read_text(encoding="utf-8"))
LANGUAGES = [(code, name, direction) for code, name, _, direction in _ENTRIES]
CATALOGUES = {code: locale for code, _, locale, _ in _ENTRIES}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def catalogue(code: str) -> dict[str, dict[str, Any]]:
    words: dict[str, dict[str, Any]] = json.loads((I18N / f"{code}.json").read_text("utf-8"))
    return words


def phrases(words: dict[str, dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    for section, entries in words.items():
        for key, phrase in entries.items():
            yield f"{section}.{key}", phrase


def plural_forms(words: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, str]]]:
    return ((key, phrase) for key, phrase in phrases(words) if isinstance(phrase, dict))


def placeholders(phrase: Any) -> set[str]:
    texts = phrase.values() if isinstance(phrase, dict) else [phrase]
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def test_the_six_languages_have_one_catalogue_each() -> None:
    assert [code for code, _, _ in LANGUAGES] == ["da", "en", "de", "pl", "uk", "ar"]
    assert sorted(p.stem for p in I18N.glob("*.json")) == sorted(CATALOGUES)
    assert {code: d for code, _, d in LANGUAGES}["ar"] == "rtl"


@pytest.mark.parametrize("code", ["en", "de", "pl", "uk", "ar"])
def test_a_catalogue_has_exactly_the_keys_of_danish(code: str) -> None:
    danish = dict(phrases(catalogue("da")))
    words = dict(phrases(catalogue(code)))
    assert sorted(set(danish) - set(words)) == [], "missing"
    assert sorted(set(words) - set(danish)) == [], "not in da.json"
    for key, phrase in words.items():
        assert placeholders(phrase) <= placeholders(danish[key]), key
        assert phrase, key


@pytest.mark.parametrize("code", sorted(CATALOGUES))
def test_every_phrase_is_text_or_plural_forms(code: str) -> None:
    for key, phrase in phrases(catalogue(code)):
        if isinstance(phrase, dict):
            assert "other" in phrase and all(isinstance(v, str) and v for v in phrase.values()), key
            assert set(phrase) <= {"zero", "one", "two", "few", "many", "other"}, key
        else:
            assert isinstance(phrase, str) and phrase.strip() == phrase and phrase, key
