"""Bearer tokens for the staff API and WebSocket (`QMS_STAFF_TOKENS`).

Only SHA-256 hashes of the tokens are configured. A presented token is hashed
and compared with every configured hash in constant time (`hmac.compare_digest`,
and no early exit), so neither the answer time nor the logs tell anything
about the tokens. Tokens are never logged.

Roles: `staff` may act at desks, issue tickets and book, list and cancel
appointments on a citizen's behalf, and follow the live WebSocket; `manager`
may do all that and read the overview and the statistics.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from aiohttp import web

from shared.config.settings import Role, StaffToken
from shared.http.problem import ProblemError, problem

STAFF: Role = "staff"
MANAGER: Role = "manager"
_RANK: dict[str, int] = {STAFF: 1, MANAGER: 2}
REALM = 'Bearer realm="qms"'


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffAuth:
    """Who a token belongs to; knows only the configured hashes."""

    def __init__(self, tokens: Sequence[StaffToken]) -> None:
        self._tokens = tuple(tokens)

    def identify(self, token: str) -> StaffToken | None:
        digest = token_hash(token)
        found: StaffToken | None = None
        for candidate in self._tokens:
            # Every hash is compared, whether or not one matched already.
            if hmac.compare_digest(digest, candidate.sha256):
                found = candidate
        return found

    def authorize(self, request: web.Request, role: Role) -> StaffToken:
        """The caller of `request`, if its bearer token allows `role`; else 401 or 403."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("this route needs a staff token: Authorization: Bearer TOKEN")
        who = self.identify(token)
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
