"""Every screen of tests/browser/screens.py: no axe-core violation of any impact, its icon
loads (no 404 in the console), and a visible focus ring on everything the keyboard reaches.

Screenshots: test-artifacts/a11y-<screen>.png and a11y-focus-<screen>.png.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browser.axe import axe_violations, described
from tests.browser.screens import SCREENS, Screen
from tests.support.whole_hall import whole_hall
from tests.web.conftest import hall_branch

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# What the page's icon link is answered with (a function: the pages' CSP).
ICON = """async () => {
  const link = document.querySelector("link[rel=icon]");
  if (!link) return null;
  const answer = await fetch(link.href);
  return [answer.status, answer.headers.get("content-type")];
}"""
TABS = 25  # enough to pass every control of the longest screen's first view
# Where the focused element is and how its ring is drawn (a function: the pages' CSP).
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName, id: el.id, text: (el.textContent || "").trim().slice(0, 40),
    style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor,
  };
}"""


@contextlib.asynccontextmanager
async def opened(
    browser: Browser, screen: Screen, tmp_path: Path, branch_id: str
) -> AsyncIterator[Page]:
    async with whole_hall(tmp_path, hall_branch(branch_id)) as hall:
        context = await browser.new_context(
            viewport=PHONE if screen.phone else DESKTOP,  # type: ignore[arg-type]
            locale="da-DK",
            has_touch=screen.phone,
        )
        try:
            page = await context.new_page()
            await screen.open(page, hall)
            yield page
        finally:
            await context.close()


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
async def test_axe_finds_no_violation(
    screen: Screen, browser: Browser, tmp_path: Path, branch_id: str, artifacts: Path
) -> None:
    async with opened(browser, screen, tmp_path, branch_id) as page:
        await page.screenshot(path=artifacts / f"a11y-{screen.name}.png", full_page=True)
        violations = await axe_violations(page)
        assert violations == [], described(violations)
        # The browser fetches the icon itself, out of the page's sight: the page fetches it too.
        assert await page.evaluate(ICON) == [200, "image/x-icon"]


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
async def test_every_focused_control_shows_a_ring(
    screen: Screen, browser: Browser, tmp_path: Path, branch_id: str, artifacts: Path
) -> None:
    async with opened(browser, screen, tmp_path, branch_id) as page:
        seen: list[dict[str, Any]] = []
        for _ in range(TABS):
            await page.keyboard.press("Tab")
            focused = await page.evaluate(FOCUS_RING)
            if focused is None:
                continue
            if seen and focused == seen[0]:
                break  # round the page once
            seen.append(focused)
            if len(seen) == 1:
                await page.screenshot(path=artifacts / f"a11y-focus-{screen.name}.png")
        assert bool(seen) == screen.controls, seen or "the keyboard reaches nothing on the page"
        unringed = [f for f in seen if f["style"] == "none" or f["width"] < 3]
        assert unringed == [], unringed
