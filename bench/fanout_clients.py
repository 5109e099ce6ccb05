"""The fan-out bench's screens: client processes of minimal WebSocket clients on plain sockets.

Apart from fanout.py, which runs the display and the calls, because this side
stands in for browsers on other machines and must cost as little as it can:
each spawned process opens its share of the screens, reads them all with one
epoll loop, answers pings, and sends back when each `called` frame came.
"""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import os
import select
import socket
import time
from collections import defaultdict
from multiprocessing.connection import Connection

# One Python process cannot read more sockets than this fast enough.
CLIENTS_PER_PROCESS = 5000
# The screens yield the CPU to the display, as browsers on other machines would.
CLIENT_NICENESS = 10


class Screen:
    """A minimal WebSocket client on a plain socket: unmasked frames in, pongs out.

    Cheap on purpose, so the client processes measure the display and not
    themselves: frames are found by their headers, and only a `called`
    frame's number is looked at.
    """

    def __init__(self, port: int, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head[:40].decode(errors="replace"))
        self.pending = head[head.index(b"\r\n\r\n") + 4 :]  # a frame cut in two
        self.sock.setblocking(False)

    def feed(self, data: bytes, now: float, seen: Seen) -> None:
        if self.pending:
            data, self.pending = self.pending + data, b""
        pos, total = 0, len(data)
        while total - pos >= 2:
            opcode, size, start = data[pos] & 0x0F, data[pos + 1] & 0x7F, pos + 2
            if size == 126:
                size, start = int.from_bytes(data[pos + 2 : pos + 4]), pos + 4
            elif size == 127:
                size, start = int.from_bytes(data[pos + 2 : pos + 10]), pos + 10
            end = start + size
            if end > total:
                break
            if opcode == 0x1 and data.startswith(b'{"type":"called"', start):
                at = data.index(b'"number":"', start, end) + 10
                seen.called(data[at : data.index(b'"', at)], now)
            elif opcode == 0x9:  # ping: a masked pong
                with contextlib.suppress(OSError):
                    self.sock.send(bytes([0x8A, 0x80 | size]) + b"\0\0\0\0" + data[start:end])
            pos = end
        if pos < total:
            self.pending = data[pos:]


class Seen:
    """Receive times per call number, for all clients of this process."""

    def __init__(self, expected: int) -> None:
        self.times: dict[bytes, list[float]] = defaultdict(list)
        self.expected = expected
        self.count = 0
        self.lost = 0

    def called(self, number: bytes, at: float) -> None:
        self.times[number].append(at)
        self.count += 1


def open_screens(port: int, path: str, count: int) -> list[Screen]:
    screens = []
    for _ in range(count):
        for attempt in range(20):
            try:
                screens.append(Screen(port, path))
                break
            except OSError:
                time.sleep(0.05 * (attempt + 1))
    return screens


def client_process(port: int, path: str, count: int, calls: int, conn: Connection) -> None:
    """Open `count` screens, then read them all with one epoll loop until every call came.

    Plain epoll, not asyncio: a few microseconds per frame instead of tens, so
    two processes read 10,000 sockets in time on two cores shared with the
    display. The screens stand in for browsers on other machines, so they also
    yield the CPU to the display (niceness): otherwise it would be preempted
    at every frame it writes.
    """
    os.nice(CLIENT_NICENESS)
    screens = open_screens(port, path, count)
    conn.send(("connected", len(screens)))
    seen = Seen(len(screens) * calls)
    by_fd = {screen.sock.fileno(): screen for screen in screens}
    poller = select.epoll()
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    poller.register(conn.fileno(), select.EPOLLIN)  # "go": answer pings meanwhile
    going = False
    deadline = time.monotonic() + calls * 2 + 120
    while seen.count < seen.expected and time.monotonic() < deadline:
        for fd, _ in poller.poll(0.5):
            screen = by_fd.get(fd)
            if screen is None:
                conn.recv()
                poller.unregister(fd)
                going = True
                continue
            try:
                data = screen.sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                poller.unregister(fd)
                seen.lost += going
                continue
            screen.feed(data, time.time(), seen)
    times = {number.decode(): moments for number, moments in seen.times.items()}
    conn.send(("result", times, seen.lost))
    for screen in screens:
        screen.sock.close()


def open_clients(
    port: int, path: str, clients: int, procs: int, calls: int
) -> tuple[list[Connection], list[multiprocessing.process.BaseProcess]]:
    spawn = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    workers: list[multiprocessing.process.BaseProcess] = []
    for i in range(procs):
        share = clients // procs + (1 if i < clients % procs else 0)
        mine, theirs = spawn.Pipe()
        worker = spawn.Process(target=client_process, args=(port, path, share, calls, theirs))
        worker.start()
        pipes.append(mine)
        workers.append(worker)
    return pipes, workers
