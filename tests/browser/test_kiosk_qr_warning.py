"""The kiosk tells its operator, discreetly, when no phone could open the tickets' QR codes.

Screenshots: test-artifacts/kiosk-qr-warning.png (opened at 127.0.0.1, no
public address set) and kiosk-qr-no-warning.png (a public address set).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.screens import kiosk_start, kiosk_ticket
from tests.support.whole_hall import whole_hall
from tests.web.conftest import hall_branch

pytestmark = pytest.mark.browser

PUBLIC = "http://192.0.2.10:8081"  # a documentation address: any a phone could reach


async def test_a_kiosk_opened_on_loopback_warns_its_operator(
    page: Page, tmp_path: Path, branch_id: str, artifacts: Path
) -> None:
    async with whole_hall(tmp_path, hall_branch(branch_id)) as hall:
        await kiosk_ticket(page, hall)
        warning = page.locator("#qr-warning")
        await expect(warning).to_be_visible()
        await expect(warning).to_contain_text(f"QR-koderne peger på {hall.url('ticketing', '')}")
        await expect(warning).to_contain_text("QMS_PUBLIC_TICKETING_URL")
        await page.screenshot(path=artifacts / "kiosk-qr-warning.png")
        # Not on the citizen's paper slip.
        await page.emulate_media(media="print")
        await expect(warning).to_be_hidden()


async def test_a_kiosk_whose_codes_hold_a_public_address_says_nothing(
    page: Page, tmp_path: Path, branch_id: str, artifacts: Path
) -> None:
    config = hall_branch(branch_id)
    async with whole_hall(tmp_path, config, public_ticketing_url=PUBLIC) as hall:
        await kiosk_start(page, hall)
        await expect(page.locator("#qr-warning")).to_be_hidden()
        await page.screenshot(path=artifacts / "kiosk-qr-no-warning.png")
