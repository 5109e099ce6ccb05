"""Wrong staff tokens from one client address are slowed down: 429 with Retry-After.

The rule is services/staff/auth.py's: `QMS_STAFF_AUTH_FAILURES` wrong tokens
per `QMS_STAFF_AUTH_WINDOW_S` (10 a minute); then every request presenting a
token, the right one included, is 429 until the oldest failure leaves the
window. The API and the WebSocket count together.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from services.staff.auth import StaffAuth, TokensSlowedDown
from services.staff.options import StaffOptions
from shared.config import StaffToken
from shared.errors import ConfigError
from shared.http.limits import RateLimiter
from tests.support.whole_hall import MANAGER_TOKEN, STAFF_TOKEN, TOKENS, WholeHall, whole_hall
from tests.web.conftest import hall_branch

OVERVIEW = "/api/v1/branches/{branch}/overview"
PROXY = (ipaddress.ip_network("127.0.0.1/32"),)


def test_the_right_token_waits_out_the_window_too_and_does_not_clear_it() -> None:
    now = [0.0]
    auth = StaffAuth(TOKENS, failures=RateLimiter(3, 60.0, lambda: now[0]))
    for second in range(3):
        now[0] = float(second)
        assert auth.sign_in("10.0.0.1", "wrong") is None
    with pytest.raises(TokensSlowedDown) as slowed:
        auth.sign_in("10.0.0.1", STAFF_TOKEN)
    # Until the first failure (at 0 s) leaves the window: 58 s after the third (at 2 s).
    assert slowed.value.retry_after_s == 58
    assert auth.sign_in("10.0.0.2", STAFF_TOKEN) is not None  # another address is not slowed
    now[0] = 60.5
    who = auth.sign_in("10.0.0.1", STAFF_TOKEN)
    assert who is not None and who.staff_id == "anna"
    # Two failures are still in the window: one more wrong token fills it again.
    assert auth.sign_in("10.0.0.1", "wrong") is None
    with pytest.raises(TokensSlowedDown):
        auth.sign_in("10.0.0.1", MANAGER_TOKEN)


def test_the_slow_down_is_read_from_the_environment() -> None:
    assert (StaffOptions().auth_failures, StaffOptions().auth_window_s) == (10, 60)
    options = StaffOptions.from_env(
        {"QMS_STAFF_AUTH_FAILURES": "5", "QMS_STAFF_AUTH_WINDOW_S": " 300 "}
    )
    assert (options.auth_failures, options.auth_window_s) == (5, 300)
    assert StaffOptions.from_env({"QMS_STAFF_AUTH_FAILURES": "0"}).auth_failures == 0
    for key, bad in [
        ("QMS_STAFF_AUTH_FAILURES", "-1"),
        ("QMS_STAFF_AUTH_FAILURES", "ten"),
        ("QMS_STAFF_AUTH_WINDOW_S", "0"),
        ("QMS_STAFF_AUTH_WINDOW_S", "1.5"),
    ]:
        with pytest.raises(ConfigError) as caught:
            StaffOptions.from_env({key: bad})
        assert caught.value.key == key


def test_no_limit_means_no_slow_down() -> None:
    auth = StaffAuth(TOKENS, failures=RateLimiter(0, 60.0, time.monotonic))
    assert all(auth.sign_in("10.0.0.1", "wrong") is None for _ in range(100))
    assert auth.sign_in("10.0.0.1", STAFF_TOKEN) == StaffToken("anna", "staff", TOKENS[0].sha256)


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[WholeHall]:
    """Routing and staff; 127.0.0.1 is a trusted proxy, so X-Forwarded-For names the client."""
    config = hall_branch(branch_id)
    async with whole_hall(tmp_path, config, ("routing", "staff"), trusted_proxies=PROXY) as hall:
        yield hall


async def overview(hall: WholeHall, token: str | None, client: str = "198.51.100.1") -> int:
    headers = {"X-Forwarded-For": client}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    status, body, response = await hall.request("GET", "staff", OVERVIEW, headers=headers)
    if status == 429:
        assert body["code"] == "too_many_wrong_tokens"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert body["retry_after_s"] == int(response.headers["Retry-After"])
    return status


async def test_the_eleventh_wrong_token_is_429_and_so_is_the_right_one(hall: WholeHall) -> None:
    assert [await overview(hall, f"guess-{n}") for n in range(10)] == [401] * 10
    assert await overview(hall, "guess-10") == 429
    assert await overview(hall, MANAGER_TOKEN) == 429
    # Another client behind the same proxy is not slowed down.
    assert await overview(hall, MANAGER_TOKEN, client="198.51.100.2") == 200
    # The desk API and staff's bookings are slowed down alike.
    desk = "/api/v1/branches/{branch}/counters/service-1/open"
    status, _, _ = await hall.request(
        "POST",
        "staff",
        desk,
        headers={"Authorization": f"Bearer {STAFF_TOKEN}", "X-Forwarded-For": "198.51.100.1"},
    )
    assert status == 429


async def test_requests_without_a_token_are_not_counted(hall: WholeHall) -> None:
    assert [await overview(hall, None) for _ in range(20)] == [401] * 20
    assert await overview(hall, MANAGER_TOKEN) == 200


async def test_the_websocket_counts_with_the_api_and_refuses_a_slowed_down_address(
    hall: WholeHall,
) -> None:
    url = hall.url("staff", "/ws/staff/{branch}")
    headers = {"X-Forwarded-For": "198.51.100.7"}
    waiting = await hall.http.ws_connect(url, headers=headers)  # in before the slow-down
    for n in range(10):
        async with hall.http.ws_connect(url, headers=headers) as ws:
            await ws.send_json({"type": "auth", "token": f"guess-{n}"})
            assert (await ws.receive_json())["code"] == "unauthorized"
            await ws.receive()
            assert ws.close_code == 4401
    assert await overview(hall, MANAGER_TOKEN, client="198.51.100.7") == 429

    # A socket that signs in now, opened before or after, is told so and closed with 4429.
    async with hall.http.ws_connect(url, headers=headers) as late:
        for ws in (waiting, late):
            await ws.send_json({"type": "auth", "token": STAFF_TOKEN})
            frame = await ws.receive_json()
            assert frame["code"] == "too_many_wrong_tokens"
            assert 1 <= frame["retry_after_s"] <= 60
            await ws.receive()
            assert ws.close_code == 4429
    await waiting.close()


async def test_a_thousand_wrong_tokens_get_ten_answers(hall: WholeHall) -> None:
    """The figure: a script trying 1,000 tokens learns whether 10 of them were right."""
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def guess(n: int) -> int:
            headers = {"Authorization": f"Bearer guess-{n:04d}"}
            async with http.get(hall.url("staff", OVERVIEW), headers=headers) as response:
                await response.read()
                return response.status

        started = time.perf_counter()
        statuses = collections.Counter(await asyncio.gather(*(guess(n) for n in range(1000))))
        took = time.perf_counter() - started
    print(f"1,000 wrong staff tokens in {took:.2f} s: {dict(statuses)}")
    assert statuses == {401: 10, 429: 990}
    async with hall.http.get(hall.url("staff", "/metrics")) as response:
        metrics = await response.text()
    assert 'qms_staff_token_refusals_total{reason="wrong_token"} 10.0' in metrics
    assert 'qms_staff_token_refusals_total{reason="slowed_down"} 990.0' in metrics


@pytest.mark.browser
async def test_the_console_says_why_it_cannot_sign_in(hall: WholeHall, page: Page) -> None:
    for n in range(10):  # from this machine, like the browser below
        status, _, _ = await hall.request(
            "GET", "staff", OVERVIEW, headers={"Authorization": f"Bearer guess-{n}"}
        )
        assert status == 401
    await page.goto(hall.url("staff", "/staff/{branch}"))
    await page.fill("#token-input", STAFF_TOKEN)
    await page.press("#token-input", "Enter")
    await expect(page.locator("#sign-in-error")).to_have_text(
        "For mange forkerte nøgler fra denne computer. Vent et minut, og prøv igen.",
        timeout=10_000,
    )
    await expect(page.locator("#sign-in")).to_be_visible()
