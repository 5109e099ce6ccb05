"""The display's options; none is read from the environment yet (the defaults run).

Tests shrink them (`create_app(ctx, DisplayOptions(...))`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.display.fanout import SEND_BUFFER_LIMIT


@dataclass(frozen=True)
class DisplayOptions:
    heartbeat_s: float = 10.0
    send_buffer_limit: int = SEND_BUFFER_LIMIT
    # The kernel's send buffer of each WebSocket (Linux doubles it). Fixed, so
    # a stuck client holds at most this in the kernel (autotuning would let it
    # grow to megabytes) before the send-buffer bound above drops it.
    socket_send_buffer: int = 64 * 1024
    caught_up_within_s: float = 30.0
    close_within_s: float = 2.0
    # False: no server speech even where espeak-ng is installed, as on a
    # machine without it (the screens then use their clips).
    espeak: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DisplayOptions:
        return cls()
