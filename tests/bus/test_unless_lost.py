"""`unless_lost`: work on a connection that dies meanwhile ends in ConnectionError, at once."""

from __future__ import annotations

import asyncio

import pytest

from shared.bus.rabbit_session import unless_lost


async def test_a_connection_lost_while_the_work_waits_is_a_connection_error() -> None:
    lost = asyncio.get_running_loop().create_future()
    never = asyncio.Event()
    asyncio.get_running_loop().call_soon(lost.set_result, None)
    # The work is still pending when `lost` resolves: cancelling it takes a turn of the loop.
    with pytest.raises(ConnectionError):
        await unless_lost(lost, never.wait())


async def test_work_that_ends_first_returns_its_result() -> None:
    lost = asyncio.get_running_loop().create_future()

    async def work() -> int:
        return 7

    assert await unless_lost(lost, work()) == 7
