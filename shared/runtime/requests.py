"""Request helpers every service shares: the branch in the path, and "caught up yet?".

- An unknown `{branch}` is 404 `unknown_branch`.
- A branch whose log this service has not read up to now yet: HTTP answers
  503 `not_ready` with `Retry-After` (figures from a half-read day would be
  wrong); a WebSocket waits a while for it, then closes with 1013 (try again
  later).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from shared.config.schema import BranchConfig
from shared.http import problem
from shared.runtime.commands import RETRY_AFTER_S
from shared.runtime.context import CONTEXT_KEY
from shared.runtime.kit import FOLLOWER_KEY
from shared.runtime.live import LiveBranch

TRY_AGAIN_LATER = 1013
# What a route that calls `require_caught_up` may answer, for its API description.
NOT_READY = {503: ["not_ready"]}


def branch_of(request: web.Request) -> BranchConfig:
    branch_id = request.match_info["branch"]
    config = request.app[CONTEXT_KEY].branches.get(branch_id)
    if config is None:
        raise problem(404, "unknown_branch", f"no branch {branch_id!r} here")
    return config


def live_of(request: web.Request, branch: str) -> LiveBranch:
    """The follower's live state of a configured `branch`."""
    return request.app[FOLLOWER_KEY].lives[branch]


def require_caught_up(request: web.Request, branch: str) -> None:
    if branch not in request.app[FOLLOWER_KEY].caught_up:
        raise problem(
            503,
            "not_ready",
            "still reading today's events; try again in a moment",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


async def caught_up_within(request: web.Request, branch: str, within_s: float) -> bool:
    """Wait until the branch's log has been read up to now; False after `within_s`."""
    try:
        async with asyncio.timeout(within_s):
            await request.app[FOLLOWER_KEY].wait_caught_up(branch)
    except TimeoutError:
        return False
    return True


async def close_not_ready(ws: web.WebSocketResponse) -> web.WebSocketResponse:
    """Close a socket whose branch is not caught up: 1013, the client retries later."""
    await ws.close(code=TRY_AGAIN_LATER, message=b"try again later")
    return ws
