"""The Idempotency-Key header and the command id it becomes, for every HTTP service.

One rule: the key is optional; when sent it is 16-128 characters of
`A-Za-z0-9._~:-` (long enough to be random, so two clients do not pick the
same key and get each other's result: use a UUID), else 400
`invalid_idempotency_key`. One derivation: the same key, at the same branch,
from the same caller, is the same command id, so the engine answers a retry
with the first result (and refuses the key for another request,
`idempotency_key_reused`; docs/queue-rules.md).
"""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from shared.http.problem import problem

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._~:-]{16,128}", re.ASCII)
# Command ids derived from a key live in their own namespace, so they never
# meet ids made any other way (fresh uuid4s).
_NAMESPACE = uuid.UUID("6f0c55a4-7d0e-4a53-9a37-2f0a4b1e9c11")


def idempotency_key(request: web.Request) -> str | None:
    """The request's Idempotency-Key; None without one; 400 when malformed."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise problem(
            400,
            "invalid_idempotency_key",
            f"{IDEMPOTENCY_HEADER} must be 16-128 characters of A-Z a-z 0-9 . _ ~ : - (use a UUID)",
            extra={"field": IDEMPOTENCY_HEADER},
        )
    return key


def derived_command_id(branch: str, caller: str, key: str) -> str:
    """The command id of `key` sent by `caller` (a staff id, or "citizen") at `branch`.

    The caller is part of it: two staff members who happen to send the same
    key give two commands, never one answer for both.
    """
    return str(uuid.uuid5(_NAMESPACE, f"{branch}\n{caller}\n{key}"))


def command_id(request: web.Request, branch: str, caller: str) -> str:
    """The request's command id: derived from its Idempotency-Key, else a fresh one."""
    key = idempotency_key(request)
    if key is None:
        return str(uuid.uuid4())
    return derived_command_id(branch, caller, key)
