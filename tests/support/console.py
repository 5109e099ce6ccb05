"""Driving the desk console by key, as staff do, without racing its own answers."""

from __future__ import annotations

from playwright.async_api import Page, expect


async def press_action_key(page: Page, key: str) -> None:
    """Press an action's key once the console takes it.

    While one of its commands is out the console takes no key (so a double press
    never calls two citizens), and the live frame can show a call before the
    call's own answer is in: a key pressed then would be dropped, as it is for
    the person at the desk, who sees the buttons greyed out.
    """
    await expect(page.locator(f'#actions button[data-key="{key}"]')).to_be_enabled()
    await page.keyboard.press(key)
