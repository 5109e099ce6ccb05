"""One child process per service (`qms up` on RabbitMQ), each kept running until told to stop.

A child that exits on its own is started again after a back-off that doubles
with each quick failure (0.5 s, 1 s, 2 s, ... capped at 30 s) and starts over
once a child has run for a minute; the others keep serving meanwhile. Each
restart is logged with the exit code and the restart count, and counted in a
Prometheus text file (`RestartCounts`), since `qms up` itself serves no HTTP.
On stop every child gets SIGTERM, and SIGKILL when the budget runs out or on
a second signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import structlog

from shared.runtime.serve import EXIT_OK

# SIGTERM to SIGKILL: short enough that `qms up` itself stops within 10 s.
STOP_GRACE_S = 8.0
HEALTH_POLL_S = 0.2
SLOW_START_S = 20.0


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    health_url: str
    env: Mapping[str, str] = field(default_factory=dict)  # on top of the shared environment


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next start of a child that exited."""

    first_s: float = 0.5
    cap_s: float = 30.0
    # A child that ran this long before it exited counts as healthy: its back-off starts over.
    steady_s: float = 60.0

    def delay(self, quick_failures: int) -> float:
        """The wait after the `quick_failures`-th exit in a row (1: the first)."""
        return min(self.cap_s, self.first_s * 2.0 ** max(0, quick_failures - 1))


class RestartCounts:
    """Restarts per child, written as a Prometheus text file (node_exporter's textfile format)."""

    def __init__(self, names: Sequence[str], path: Path | None) -> None:
        self.counts = dict.fromkeys(names, 0)
        self.path = path

    def add(self, name: str) -> int:
        self.counts[name] += 1
        self.write()
        return self.counts[name]

    def text(self) -> str:
        lines = [
            "# HELP qms_up_restarts_total Times qms up started a service process again",
            "# TYPE qms_up_restarts_total counter",
        ]
        lines += [f'qms_up_restarts_total{{child="{n}"}} {c}' for n, c in self.counts.items()]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        if self.path is None:
            return
        # Written aside and renamed: a scraper never reads half a file.
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(self.text(), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as exc:
            structlog.stdlib.get_logger("qms").warning(
                f"cannot write the restart counts to {self.path}: {exc}"
            )


async def supervise(
    specs: Sequence[ChildSpec],
    env: Mapping[str, str],
    *,
    stop: asyncio.Event,
    kill: asyncio.Event,
    on_ready: Callable[[], Awaitable[None]],
    log: structlog.stdlib.BoundLogger,
    grace: float = STOP_GRACE_S,
    backoff: Backoff = Backoff(),
    metrics_file: Path | None = None,
) -> int:
    """Keep every child running until `stop`; SIGTERM them, SIGKILL after `grace` s or on `kill`."""
    counts = RestartCounts([spec.name for spec in specs], metrics_file)
    counts.write()
    running: dict[str, asyncio.subprocess.Process] = {}
    keepers = [
        asyncio.create_task(
            _keep_running(spec, env, running, stop, backoff, counts, log), name=f"keep {spec.name}"
        )
        for spec in specs
    ]
    announcing = asyncio.create_task(_announce_when_ready(specs, on_ready, log), name="ready")
    await stop.wait()
    announcing.cancel()
    # Each keeper returns as soon as it sees `stop`, leaving its child to be stopped here.
    await asyncio.gather(*keepers, return_exceptions=True)
    await _stop_children(running, grace, kill, log)
    await asyncio.gather(announcing, return_exceptions=True)
    return EXIT_OK


async def _keep_running(
    spec: ChildSpec,
    env: Mapping[str, str],
    running: dict[str, asyncio.subprocess.Process],
    stop: asyncio.Event,
    backoff: Backoff,
    counts: RestartCounts,
    log: structlog.stdlib.BoundLogger,
) -> None:
    loop = asyncio.get_running_loop()
    quick_failures = 0
    while not stop.is_set():
        started = loop.time()
        code: int | None = None
        try:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv, env={**env, **spec.env}, stdin=asyncio.subprocess.DEVNULL
            )
        except OSError as exc:
            log.error(f"cannot start {spec.name}: {exc}", child=spec.name)
        else:
            running[spec.name] = proc
            log.info("started", child=spec.name, pid=proc.pid)
            if not await _exits_before(proc, stop):
                return
            code = proc.returncode
        if stop.is_set():
            return
        ran_s = loop.time() - started
        quick_failures = 1 if ran_s >= backoff.steady_s else quick_failures + 1
        delay = backoff.delay(quick_failures)
        restarts = counts.add(spec.name)
        log.warning(
            f"{spec.name} exited with code {code}; starting it again in {delay:g} s",
            child=spec.name,
            code=code,
            ran_s=round(ran_s, 1),
            restarts=restarts,
            delay_s=delay,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _exits_before(proc: asyncio.subprocess.Process, stop: asyncio.Event) -> bool:
    """Wait until `proc` exits (True) or `stop` is set (False, the child still running)."""
    exiting = asyncio.create_task(proc.wait())
    stopping = asyncio.create_task(stop.wait())
    either: set[asyncio.Future[Any]] = {exiting, stopping}
    done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    exiting.cancel()
    stopping.cancel()
    return exiting in done and not stop.is_set()


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
