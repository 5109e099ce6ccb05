"""One HTTP exchange written by hand: for what aiohttp's client will not send or show.

A WebSocket handshake's own response headers, a request aiohttp's server
cannot parse, a header a real browser would send.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from multidict import CIMultiDict


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: CIMultiDict[str]


async def exchange(port: int, request: bytes, within_s: float = 5.0) -> RawResponse:
    """Send `request` to 127.0.0.1:`port`; the status line and headers of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(within_s):
            head = await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    return RawResponse(status, headers)


def websocket_handshake(path: str, host: str, origin: str | None = None) -> bytes:
    """A browser's upgrade request for `path` (its Origin, when given)."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
