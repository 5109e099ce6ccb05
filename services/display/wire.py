"""Frames on the wire: JSON once, then one WebSocket frame shared by every client.

A change is serialised once and framed once; the same bytes are written to
every subscriber's transport (what `websockets.broadcast` does, done here for
aiohttp). Server-to-client frames are never masked, and the service does not
negotiate permessage-deflate, so a frame is a short header and the payload.
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

_FIN_TEXT = 0x81


def encode(frame: dict[str, Any]) -> bytes:
    return orjson.dumps(frame)


def text_frame(payload: bytes) -> bytes:
    """A complete, unfragmented, unmasked WebSocket text frame holding `payload`."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _FIN_TEXT, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, size)
    return header + payload


def frame_of(frame: dict[str, Any]) -> bytes:
    """`frame` as JSON in a WebSocket text frame, ready for `transport.write`."""
    return text_frame(encode(frame))
