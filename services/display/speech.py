"""Spoken announcements made on the server with espeak-ng, for screens without a Danish voice.

`GET /display/tts?text=…` answers audio/wav. Only announcement texts are
accepted ("Nummer P 12, Skranke 2": a letter, a number, and the name of a
desk some branch here has), so the endpoint is no general speech service
and its cache stays small. espeak-ng runs as a subprocess (never blocking
the loop), a few at a time, with a time limit; identical requests that
arrive together share one run, and results are kept in a small LRU cache.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections import OrderedDict
from collections.abc import Iterable

ESPEAK = "espeak-ng"
VOICE = "da"
WORDS_PER_MINUTE = "140"  # a little slower than espeak's 175: a hall echoes
RUN_WITHIN_S = 5.0
CONCURRENT_RUNS = 2
CACHE_ENTRIES = 64  # about 80 KB each
MAX_TEXT = 80

_ANNOUNCEMENT = re.compile(r"Nummer (?P<letter>[A-Z]) (?P<digits>[1-9][0-9]{0,3}), (?P<desk>.+)")


class SpeechError(Exception):
    """espeak-ng failed or took too long."""


def announcement_text(number: str, desk_name: str) -> str:
    """What a screen says: "Nummer P 12, Skranke 2" (P012 read as "P 12", not "P 0 1 2")."""
    return f"Nummer {number[0]} {int(number[1:])}, {desk_name}"


class Speech:
    def __init__(self, desk_names: Iterable[str], binary: str | None = None) -> None:
        """`binary`: espeak-ng's path; None finds it on PATH; "" means none (no speech)."""
        self.binary = (binary or None) if binary is not None else shutil.which(ESPEAK)
        self._desk_names = frozenset(desk_names)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._running: dict[str, asyncio.Task[bytes]] = {}
        self._slots = asyncio.Semaphore(CONCURRENT_RUNS)

    @property
    def available(self) -> bool:
        return self.binary is not None

    def problem_with(self, text: str) -> str | None:
        """Why `text` is not an announcement this service speaks, or None if it is."""
        if len(text) > MAX_TEXT:
            return f"at most {MAX_TEXT} characters"
        match = _ANNOUNCEMENT.fullmatch(text)
        if match is None:
            return 'an announcement like "Nummer P 12, Skranke 2"'
        if match["desk"] not in self._desk_names:
            return f"{match['desk']!r} is not the name of a desk here"
        return None

    async def wav(self, text: str) -> bytes:
        """The spoken text as WAV; check `problem_with(text)` first."""
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        running = self._running.get(text)
        if running is None:
            # A task of its own: a requester that goes away does not cancel the
            # run that others (or the cache) wait for.
            running = asyncio.create_task(self._speak(text), name="espeak-ng")
            self._running[text] = running
            running.add_done_callback(lambda done: self._finished(text, done))
        return await asyncio.shield(running)

    def _finished(self, text: str, done: asyncio.Task[bytes]) -> None:
        self._running.pop(text, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._cache[text] = done.result()
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)

    async def close(self) -> None:
        """Stop runs in progress (at shutdown)."""
        running = list(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _speak(self, text: str) -> bytes:
        assert self.binary is not None
        async with self._slots:
            # The text goes in on stdin: it can never be read as an option.
            process = await asyncio.create_subprocess_exec(
                self.binary,
                "-v",
                VOICE,
                "-s",
                WORDS_PER_MINUTE,
                "-b",
                "1",
                "--stdout",
                "--stdin",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                async with asyncio.timeout(RUN_WITHIN_S):
                    audio, errors = await process.communicate(text.encode())
            except TimeoutError as exc:
                await _kill(process)
                raise SpeechError(f"espeak-ng took longer than {RUN_WITHIN_S} s") from exc
            except asyncio.CancelledError:
                await _kill(process)
                raise
        if process.returncode != 0 or not audio.startswith(b"RIFF"):
            detail = errors.decode(errors="replace").strip()[:200]
            raise SpeechError(f"espeak-ng failed ({process.returncode}): {detail}")
        return audio


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()
