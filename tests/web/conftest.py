"""The browser-facing rules every service shares: headers, JSON-only bodies, WebSocket
origins, access logs, and the pages under their Content-Security-Policy.

The hall is all four services on an embedded bus (tests/support/whole_hall.py),
at the shipped Magion hall staffed all day, where it is mid-morning now.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.config import BranchConfig
from tests.browser.conftest import artifacts, browser, page
from tests.support.branch import ALL_WEEK, magion
from tests.support.whole_hall import WholeHall, whole_hall
from tests.support.zones import mid_morning_zone

__all__ = ["artifacts", "browser", "page"]


def hall_branch(branch_id: str) -> BranchConfig:
    return magion(branch_id).but(hours=ALL_WEEK, zone=mid_morning_zone()).config()


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[WholeHall]:
    async with whole_hall(tmp_path, hall_branch(branch_id)) as running:
        yield running
