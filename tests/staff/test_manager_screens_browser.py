"""The manager page warns about hall screens that can only chime or play nothing.

A real display service beside routing and staff; the screens are WebSocket
clients of it (as a signage player's own client is) telling their voice.
The manager page reads the display's status from the browser, across
origins (CORS on the display, CSP `connect-src` on staff).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from shared.config import BranchConfig
from tests.staff.conftest import MANAGER_TOKEN, Hall, run_hall
from tests.staff.test_manager_browser import WITHIN_MS, sign_in
from tests.support.buses import EMBEDDED
from tests.support.clients import Screens, frame_of_type

pytestmark = pytest.mark.browser


@pytest.fixture
async def hall_with_display(config: BranchConfig, tmp_path: Path) -> AsyncIterator[Hall]:
    async with run_hall(EMBEDDED, config, tmp_path / "bus", display=True) as hall:
        yield hall


async def screen_saying(hall: Hall, area: str, voice: str) -> aiohttp.ClientWebSocketResponse:
    """A hall screen of `area`, connected, that has told the display its voice."""
    screens = Screens(hall.http, hall.services.base("display"), hall.branch)
    ws = await screens.screen(area)
    await frame_of_type(ws, "snapshot")
    await ws.send_str(f"voice:{voice}")
    shown, _ = await screens.voices(area, {voice: 1})
    assert shown == {voice: 1}
    return ws


async def test_the_manager_is_warned_of_a_screen_that_can_only_chime(
    hall_with_display: Hall, page: Page, artifacts: Path
) -> None:
    hall = hall_with_display
    chiming = await screen_saying(hall, "service", "chime")
    speaking = await screen_saying(hall, "kvik", "clips")

    await sign_in(page, hall, MANAGER_TOKEN)

    warnings = page.locator("#screen-warnings li")
    await expect(warnings).to_have_count(1, timeout=WITHIN_MS)
    await expect(warnings).to_have_text(
        "Kaldeskærmen i SERVICE kan kun spille en lyd: ingen dansk stemme. Installér"
        " espeak-ng på skærmserveren eller en dansk stemme i browseren."
    )
    assert await warnings.get_attribute("data-voice") == "chime"
    await page.click("#lang")
    await expect(warnings).to_contain_text("The hall screen in SERVICE can only chime")
    await page.screenshot(path=artifacts / "staff-manager-screen-warning.png", full_page=True)
    await chiming.close()
    await speaking.close()
