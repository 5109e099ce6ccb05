"""The hall screen of the shipped Magion hall in headless Chromium: whole rows, a closed hall.

The hall's SERVICE area has eight services, so its waiting figures take
more room than a test hall's, as on the real screen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.config import BranchConfig, load_branches
from shared.config.schema import WEEKDAYS
from shared.contract import CallNext, IssueTicket
from tests.display.conftest import Hall, Screen, open_desks, open_screen
from tests.support.branch import ALL_WEEK, Days, magion
from tests.support.zones import mid_morning_zone, zone_where_it_is

pytestmark = pytest.mark.browser


@pytest.fixture
def hours() -> Days:
    """The staffed hours (a test parametrises them)."""
    return ALL_WEEK


@pytest.fixture
def zone() -> str:
    return mid_morning_zone()


@pytest.fixture
def branches(tmp_path: Path, branch_id: str, hours: Days, zone: str) -> dict[str, BranchConfig]:
    return load_branches(str(magion(branch_id).but(hours=hours, zone=zone).write(tmp_path)))


async def test_recent_calls_show_only_whole_rows(
    embedded_hall: Hall, screen_in: Screen, artifacts: Path
) -> None:
    hall = embedded_hall
    await open_desks(hall, 12, "service-1", "service-2")
    for n in range(12):
        await hall.send(CallNext(counter=("service-1", "service-2")[n % 2]))
    # People waiting for each service the open desks take: every figure has its
    # estimate, and the waiting figures need a third line, as in a busy hall.
    for service in ("pas", "koerekort", "mitid", "skat", "boligstoette"):
        await hall.send(IssueTicket(service=service, channel="kiosk"))
    page = await screen_in(1920, 1080)

    await open_screen(page, hall, "service")

    rows = page.locator("#recent li")
    section = await page.locator("section.calls").bounding_box()
    assert section is not None
    shown = []
    for index in range(await rows.count()):
        if await rows.nth(index).is_visible():
            box = await rows.nth(index).bounding_box()
            assert box is not None
            shown.append(box)
    await page.screenshot(path=artifacts / "display-recent-whole-rows-1920x1080.png")
    assert await rows.count() == 8  # the projection keeps 8; not all fit at this size
    assert 3 <= len(shown) < 8
    for box in shown:  # every row shown is shown whole
        assert box["y"] >= section["y"] - 0.5
        assert box["y"] + box["height"] <= section["y"] + section["height"] + 0.5
    older = [box["height"] for box in shown[1:]]  # the newest is bigger by design
    assert max(older) - min(older) < 0.5, older


EVENING = zone_where_it_is(20)  # 20:MM in the branch now: closed after 10:00-18:00
TEN_TO_SIX = ("10:00-18:00",)


def local_weekday_in(days: int) -> str:
    """The branch's weekday `days` after its today (in the EVENING zone)."""
    return WEEKDAYS[(dt.datetime.now(ZoneInfo(EVENING)).weekday() + days) % 7]


@pytest.mark.parametrize(
    ("zone", "hours", "da", "en"),
    [
        pytest.param(
            EVENING,
            dict.fromkeys(WEEKDAYS, TEN_TO_SIX),
            "Åbner i morgen kl. 10:00",
            "Opens tomorrow at 10:00",
            id="tomorrow",
        ),
        pytest.param(
            EVENING,
            {local_weekday_in(3): TEN_TO_SIX},
            "Åbner {da} kl. 10:00",
            "Opens {en} at 10:00",
            id="weekday",
        ),
    ],
)
async def test_a_closed_hall_shows_when_it_opens(
    embedded_hall: Hall,
    screen_in: Screen,
    artifacts: Path,
    request: pytest.FixtureRequest,
    da: str,
    en: str,
) -> None:
    hall = embedded_hall
    opens = dt.datetime.now(hall.config.branch.tz) + dt.timedelta(days=3)
    da = da.format(da=DANISH_DAYS[opens.weekday()])
    en = en.format(en=opens.strftime("%A"))
    # A browser far from the branch: its own "today" is another day than the branch's.
    page = await screen_in(timezone_id="Pacific/Kiritimati")

    await open_screen(page, hall, "service")

    assert await page.get_attribute("body", "data-hours") == "closed"
    assert await page.is_visible("#closed")
    assert await page.text_content("#opens-da") == da
    assert await page.text_content("#opens-en") == en
    name = request.node.callspec.id
    await page.screenshot(path=artifacts / f"display-closed-{name}.png")


DANISH_DAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
