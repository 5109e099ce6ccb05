"""Services as real processes (`python -m services.<name>`): free ports, spawning, one health wait.

What compose runs, minus Docker: a test that needs real processes (signals,
exit codes, kill -9) starts them with `spawn` and waits with `until_healthy`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tests.support.branch import REPO


class Watched(Protocol):
    """A process that answers /healthz on a port and logs to a file."""

    @property
    def name(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def proc(self) -> subprocess.Popen[bytes]: ...
    @property
    def log(self) -> Path: ...


@dataclass(frozen=True)
class Listener:
    """One port of a process (a process such as `qms up` may answer on several)."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path


def free_ports(count: int) -> list[int]:
    """Ports free right now; all held open together so they are distinct."""
    import socket

    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m services.<...> args` in its own session, output to `log`.

    Its own session, so a failing test can kill it and its children as one group.
    """
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            env=dict(env),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def health(port: int) -> int:
    """The status of GET /healthz, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def until_healthy(targets: Sequence[Watched], within: float) -> float:
    """Poll every target's /healthz until all answer 200; the seconds it took.

    Fails at once when a target's process has exited, and after `within`
    seconds otherwise, with the tail of the logs of those not healthy.
    """
    started = time.monotonic()
    status: dict[str, int] = {}
    while time.monotonic() - started < within:
        status = {t.name: health(t.port) for t in targets}
        if all(code == 200 for code in status.values()):
            return time.monotonic() - started
        dead = [t for t in targets if t.proc.poll() is not None]
        if dead:
            raise AssertionError(f"{dead[0].name} exited:\n{tail(dead[0])}")
        time.sleep(0.1)
    logs = {t.log: t for t in targets if status.get(t.name) != 200}
    raise AssertionError(
        f"not healthy within {within} s: {status}\n" + "\n".join(map(tail, logs.values()))
    )


def tail(target: Watched, chars: int = 3000) -> str:
    text = target.log.read_text(errors="replace")[-chars:]
    return f"== {target.name} (exit {target.proc.poll()})\n{text}"
