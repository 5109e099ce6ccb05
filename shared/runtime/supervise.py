"""One child process per service (`qms up` on RabbitMQ), watched until told to stop.

If any child exits on its own, the others are stopped too and the supervisor
fails: a half-running hall (a kiosk with no routing) is worse than a clear
stop that the operator notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog

from shared.runtime.serve import EXIT_FAILED, EXIT_OK

STOP_GRACE_S = 10.0
HEALTH_POLL_S = 0.2
SLOW_START_S = 20.0


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    health_url: str


async def supervise(
    specs: Sequence[ChildSpec],
    env: Mapping[str, str],
    *,
    stop: asyncio.Event,
    kill: asyncio.Event,
    on_ready: Callable[[], Awaitable[None]],
    log: structlog.stdlib.BoundLogger,
    grace: float = STOP_GRACE_S,
) -> int:
    """Run the children until `stop`; SIGTERM them, SIGKILL after `grace` s or on `kill`."""
    children: dict[str, asyncio.subprocess.Process] = {}
    try:
        for spec in specs:
            children[spec.name] = await asyncio.create_subprocess_exec(
                *spec.argv, env=dict(env), stdin=asyncio.subprocess.DEVNULL
            )
            log.info("started", child=spec.name, pid=children[spec.name].pid)
    except OSError as exc:
        log.error(f"cannot start {spec.name}: {exc}")
        await _stop_children(children, grace, kill, log)
        return EXIT_FAILED

    exits = {
        asyncio.create_task(proc.wait(), name=f"wait {name}"): name
        for name, proc in children.items()
    }
    stopping = asyncio.create_task(stop.wait(), name="wait for stop")
    announcing = asyncio.create_task(_announce_when_ready(specs, on_ready, log), name="ready")
    watched: set[asyncio.Future[Any]] = {*exits, stopping}
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    code = EXIT_OK
    if not stop.is_set():
        for name in (name for task, name in exits.items() if task in done):
            log.error(
                f"{name} exited with code {children[name].returncode}; stopping the others",
                child=name,
                code=children[name].returncode,
            )
        code = EXIT_FAILED
    for task in (stopping, announcing):
        task.cancel()
    await _stop_children(children, grace, kill, log)
    await asyncio.gather(stopping, announcing, *exits, return_exceptions=True)
    return code


async def _stop_children(
    children: Mapping[str, asyncio.subprocess.Process],
    grace: float,
    kill: asyncio.Event,
    log: structlog.stdlib.BoundLogger,
) -> None:
    for proc in children.values():
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    all_exited = asyncio.gather(*(proc.wait() for proc in children.values()))
    killing = asyncio.create_task(kill.wait(), name="wait for kill")
    either: set[asyncio.Future[Any]] = {all_exited, killing}
    await asyncio.wait(either, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    killing.cancel()
    if not all_exited.done():
        for name, proc in children.items():
            if proc.returncode is None:
                log.warning("did not stop in time; killing it", child=name, pid=proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
    await all_exited
    for name, proc in children.items():
        log.info("child stopped", child=name, code=proc.returncode)


async def _announce_when_ready(
    specs: Sequence[ChildSpec],
    on_ready: Callable[[], Awaitable[None]],
    log: structlog.stdlib.BoundLogger,
) -> None:
    """Poll every child's /healthz until all answer 200, then call `on_ready` once."""
    loop = asyncio.get_running_loop()
    slow_at = loop.time() + SLOW_START_S
    waiting = {spec.name: spec.health_url for spec in specs}
    last: dict[str, str] = {}
    timeout = aiohttp.ClientTimeout(total=1.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while waiting:
            for name, url in list(waiting.items()):
                last[name] = await _health(session, url)
                if last[name] == "200":
                    del waiting[name]
            if waiting and loop.time() > slow_at:
                slow_at = float("inf")  # Say it once; the children log their own reasons.
                log.warning(
                    "still waiting for services to be ready",
                    waiting={name: last.get(name, "?") for name in waiting},
                )
            if waiting:
                await asyncio.sleep(HEALTH_POLL_S)
    log.info("all services ready")
    await on_ready()


async def _health(session: aiohttp.ClientSession, url: str) -> str:
    try:
        async with session.get(url) as response:
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return type(exc).__name__
