"""Bearer tokens for the staff API and WebSocket (`QMS_STAFF_TOKENS`).

Only SHA-256 hashes of the tokens are configured. A presented token is hashed
and compared with every configured hash in constant time (`hmac.compare_digest`,
and no early exit), so neither the answer time nor the logs tell anything
about the tokens. Tokens are never logged.

Roles: `staff` may act at desks, issue tickets and book, list and cancel
appointments on a citizen's behalf, and follow the live WebSocket; `manager`
may do all that, read the overview and the statistics, and pause and resume
services.

**Slow-down.** Wrong tokens are counted per client address (the request's,
from `QMS_TRUSTED_PROXIES`) over a sliding window (`QMS_STAFF_AUTH_FAILURES`
per `QMS_STAFF_AUTH_WINDOW_S`, default 10 a minute). From the one that
fills it, every request from that address that presents a token is 429
`too_many_wrong_tokens` with `Retry-After`, the right token included, until
the oldest counted failure leaves the window: were a right token let
through, the guessing could go on at full speed and only the hit would
tell. A right token does not clear the count either, or one staff member's
own token would let them guess others' between its uses. Requests without
a token are 401 as before and are not counted (they guess nothing). The
counts are in memory, per staff replica.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence

from aiohttp import web
from prometheus_client import Counter

from shared.config.settings import Role, StaffToken
from shared.http.limits import RateLimiter
from shared.http.problem import ProblemError, problem
from shared.http.requester import client_address

STAFF: Role = "staff"
MANAGER: Role = "manager"
_RANK: dict[str, int] = {STAFF: 1, MANAGER: 2}
REALM = 'Bearer realm="qms"'
SLOWED_DOWN = "too_many_wrong_tokens"


class TokensSlowedDown(Exception):
    """The client address presented too many wrong tokens; it may try again in `retry_after_s`."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"slowed down for {wait_s:.1f} s")
        self.retry_after_s = max(1, math.ceil(wait_s))

    @property
    def detail(self) -> str:
        return f"too many wrong staff tokens from this address; try again in {self.retry_after_s} s"

    def problem(self) -> ProblemError:
        return problem(
            429,
            SLOWED_DOWN,
            self.detail,
            extra={"retry_after_s": self.retry_after_s},
            headers={"Retry-After": str(self.retry_after_s)},
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffAuth:
    """Who a token belongs to; knows only the configured hashes, and counts wrong ones.

    `failures` None: no slow-down. `refusals` counts wrong tokens and
    slowed-down requests (`reason`), for the operator's eyes.
    """

    def __init__(
        self,
        tokens: Sequence[StaffToken],
        failures: RateLimiter | None = None,
        refusals: Counter | None = None,
    ) -> None:
        self._tokens = tuple(tokens)
        self._failures = failures
        self._refusals = refusals

    def identify(self, token: str) -> StaffToken | None:
        digest = token_hash(token)
        found: StaffToken | None = None
        for candidate in self._tokens:
            # Every hash is compared, whether or not one matched already.
            if hmac.compare_digest(digest, candidate.sha256):
                found = candidate
        return found

    def sign_in(self, client: str, token: str) -> StaffToken | None:
        """The owner of `token` presented by `client`; None for a wrong one (counted).

        Raises `TokensSlowedDown` while `client` is slowed down, whatever the token.
        """
        wait_s = self._failures.wait(client) if self._failures is not None else None
        if wait_s is not None:
            self._count("slowed_down")
            raise TokensSlowedDown(wait_s)
        who = self.identify(token)
        if who is None:
            self._count("wrong_token")
            if self._failures is not None:
                self._failures.add(client)
        return who

    def _count(self, reason: str) -> None:
        if self._refusals is not None:
            self._refusals.labels(reason).inc()

    def authorize(self, request: web.Request, role: Role) -> StaffToken:
        """The caller of `request`, if its bearer token allows `role`; else 401, 403 or 429."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("this route needs a staff token: Authorization: Bearer TOKEN")
        try:
            who = self.sign_in(client_address(request), token)
        except TokensSlowedDown as exc:
            raise exc.problem() from None
        if who is None:
            raise _unauthorized("the staff token is not valid", invalid=True)
        if not allows(who, role):
            raise problem(403, "forbidden", f"this route is for the role {role!r} only")
        return who


def allows(who: StaffToken, role: Role) -> bool:
    return _RANK[who.role] >= _RANK[role]


def _unauthorized(detail: str, *, invalid: bool = False) -> ProblemError:
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return problem(401, "unauthorized", detail, headers={"WWW-Authenticate": challenge})
