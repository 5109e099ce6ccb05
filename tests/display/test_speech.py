"""Spoken announcements: how numbers are read, and which texts the speech route accepts."""

from __future__ import annotations

import pytest

from services.display.speech import Speech, announcement_text


@pytest.mark.parametrize(
    ("number", "desk", "text"),
    [
        ("P012", "Skranke 2", "Nummer P 12, Skranke 2"),
        ("L001", "KVIK 1", "Nummer L 1, KVIK 1"),
        ("S100", "Skranke 3", "Nummer S 100, Skranke 3"),
        ("B1234", "Skranke 1", "Nummer B 1234, Skranke 1"),
    ],
)
def test_announcements_read_numbers_naturally(number: str, desk: str, text: str) -> None:
    assert announcement_text(number, desk) == text


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("Nummer P 12, Skranke 2", True),
        ("Nummer P 012, Skranke 2", False),  # numbers are read without leading zeros
        ("Nummer P 12, Skranke 9", False),  # no such desk
        ("Hello world", False),
        ("Nummer P 12, Skranke 2" + " " * 80, False),
        ("-v en Nummer P 12, Skranke 2", False),
    ],
)
def test_speech_accepts_announcements_only(text: str, accepted: bool) -> None:
    speech = Speech(["Skranke 1", "Skranke 2"], binary="/bin/false")

    assert (speech.problem_with(text) is None) is accepted
