"""The display's plain HTTP routes: the page, its assets, and spoken announcements."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.display.conftest import BusFactory, Hall, frame_of_type


@pytest.fixture
async def display(
    embedded: BusFactory, hall_on: Callable[[BusFactory], Awaitable[Hall]]
) -> AsyncIterator[Hall]:
    hall = await hall_on(embedded)
    await hall.start_display()
    yield hall


async def test_the_page_and_its_assets_are_served(display: Hall) -> None:
    async with display.http.get(display.display_url(f"/display/{display.branch}/kvik")) as page:
        html = await page.text()
    async with display.http.get(display.display_url("/display/_static/display.js")) as script:
        assert script.status == 200

    assert page.status == 200
    assert page.content_type == "text/html"
    assert 'lang="da"' in html
    assert "../_static/display.js" in html  # relative: works behind a path prefix


@pytest.mark.parametrize(
    ("path", "code"),
    [("/display/{branch}/nowhere", "unknown_area"), ("/display/nobranch/kvik", "unknown_branch")],
)
async def test_an_unknown_screen_is_a_problem_document(display: Hall, path: str, code: str) -> None:
    address = display.display_url(path.format(branch=display.branch))
    async with display.http.get(address) as response:
        body = await response.json(content_type=None)

    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert body["code"] == code


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_an_announcement_is_spoken_as_wav(display: Hall) -> None:
    address = display.display_url("/display/tts")
    params = {"text": "Nummer P 12, Skranke 2"}
    async with display.http.get(address, params=params) as response:
        audio = await response.read()
    async with display.http.get(address, params=params) as again:  # from the cache
        same = await again.read()

    assert response.status == 200
    assert response.content_type == "audio/wav"
    assert audio.startswith(b"RIFF") and b"WAVE" in audio[:12]
    assert same == audio


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "missing_text"),
        ({"text": "Say anything at all"}, 422, "invalid_text"),
        ({"text": "Nummer P 12, Skranke 99"}, 422, "invalid_text"),
    ],
)
async def test_speech_takes_announcements_only(
    display: Hall, params: dict[str, str], status: int, code: str
) -> None:
    async with display.http.get(display.display_url("/display/tts"), params=params) as response:
        body = await response.json(content_type=None)

    assert response.status == status
    assert body["code"] == code
    if "text" in params:
        assert body["detail"].startswith("text:")  # names the bad field


async def test_the_status_counts_what_each_screen_says_it_can_announce_with(
    display: Hall,
) -> None:
    clips, chime = await display.screen("service"), await display.screen("service")
    for ws in (clips, chime):
        await frame_of_type(ws, "snapshot")
    untold, _ = await display.sockets.voices("service", {"unknown": 2})
    await clips.send_str("voice:clips")
    await chime.send_str("voice:chime")
    told, _ = await display.sockets.voices("service", {"clips": 1, "chime": 1})
    await chime.send_str("voice:anything else")  # not a voice: counted as not told
    unknown, _ = await display.sockets.voices("service", {"clips": 1, "unknown": 1})
    await chime.close()
    left, _ = await display.sockets.voices("service", {"clips": 1})

    assert untold == {"unknown": 2}
    assert told == {"clips": 1, "chime": 1}
    assert unknown == {"clips": 1, "unknown": 1}
    assert left == {"clips": 1}


async def test_the_status_counts_hall_screens_only_and_kiosks_apart(display: Hall) -> None:
    screen = await display.screen("service")
    kiosks = [await display.sockets.kiosk(area) for area in ("service", "kvik")]
    # The snapshot comes once the socket is subscribed: the counts hold it by now.
    frames = [await frame_of_type(ws, "snapshot") for ws in (screen, *kiosks)]
    async with display.http.get(display.display_url("/display/status")) as response:
        status = await response.json()
    async with display.http.get(display.display_url("/metrics")) as response:
        metrics = await response.text()

    assert all(frame["type"] == "snapshot" for frame in frames)  # a kiosk gets the frames
    mine = [row for row in status["screens"] if row["branch"] == display.branch]
    assert mine == [
        {
            "branch": display.branch,
            "area": "service",
            "area_name": "SERVICE",
            "connected": 1,
            "voices": {"unknown": 1},
        }
    ]
    counted = {row["area"]: row["connected"] for row in status["kiosks"]}
    assert counted == {"kvik": 1, "service": 1}
    for kind, count in (("screen", 1), ("kiosk", 2)):
        series = f'qms_ws_clients{{branch="{display.branch}",kind="{kind}"}} {count}.0'
        assert series in metrics.splitlines()
    for ws in (screen, *kiosks):
        await ws.close()
