"""Frames on the wire: JSON once, framed once, with the length header WebSocket wants."""

from __future__ import annotations

import struct

import pytest

from services.display.wire import frame_of, text_frame


@pytest.mark.parametrize(("size", "header"), [(5, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_text_frames_carry_their_length(size: int, header: int) -> None:
    payload = b"x" * size

    frame = text_frame(payload)

    assert frame[0] == 0x81  # FIN, text
    assert frame[header:] == payload
    length = frame[1] & 0x7F
    if header == 2:
        assert length == size
    elif header == 4:
        assert length == 126 and struct.unpack("!H", frame[2:4])[0] == size
    else:
        assert length == 127 and struct.unpack("!Q", frame[2:10])[0] == size


def test_a_frame_is_json_once() -> None:
    frame = frame_of({"type": "pong"})

    assert frame == b"\x81\x0f" + b'{"type":"pong"}'
