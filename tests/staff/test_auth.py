"""Who may do what: bearer tokens from QMS_STAFF_TOKENS, roles staff and manager."""

from __future__ import annotations

import hashlib

import pytest

from services.staff.auth import StaffAuth
from shared.config import StaffToken
from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall

DESK = "/api/v1/branches/{branch}/counters/service-1/open"
OVERVIEW = "/api/v1/branches/{branch}/overview"
STATS = "/api/v1/branches/{branch}/stats"
DEMAND = "/api/v1/branches/{branch}/demand"
ISSUE = "/api/v1/branches/{branch}/tickets"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", DESK, None), ("GET", OVERVIEW, None), ("GET", STATS, None), ("POST", ISSUE, {})],
)
@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, None),
        ("Bearer not-a-token", "invalid_token"),
        ("Basic YW5uYTpzZWNyZXQ=", None),
        ("Bearer ", None),
        (f"bearer {STAFF_TOKEN}x", "invalid_token"),
    ],
)
async def test_no_or_a_wrong_token_is_401_with_a_bearer_challenge(
    embedded_hall: Hall, method: str, path: str, body: object, header: str | None, error: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    status, data, response = await embedded_hall.call(
        method, path, token=None, body=body, headers=headers
    )
    assert status == 401
    assert data["code"] == "unauthorized"
    assert response.content_type == "application/problem+json"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) == (error is not None)
    assert STAFF_TOKEN not in str(data)


@pytest.mark.parametrize("path", [DEMAND])
async def test_a_staff_token_on_a_manager_route_is_403(embedded_hall: Hall, path: str) -> None:
    status, data, _ = await embedded_hall.call("GET", path, token=STAFF_TOKEN)
    assert status == 403
    assert data["code"] == "forbidden"


@pytest.mark.parametrize("token", [STAFF_TOKEN, MANAGER_TOKEN])
@pytest.mark.parametrize("path", [OVERVIEW, STATS])
async def test_staff_and_managers_read_the_overview_and_statistics(
    embedded_hall: Hall, path: str, token: str
) -> None:
    # The contract lists both among the staff routes; only demand and pauses are a manager's.
    status, data, _ = await embedded_hall.call("GET", path, token=token)
    assert status == 200
    assert data["branch"] == embedded_hall.branch


@pytest.mark.parametrize(("token", "staff"), [(STAFF_TOKEN, "anna"), (MANAGER_TOKEN, "mads")])
async def test_staff_and_managers_act_at_desks_as_themselves(
    embedded_hall: Hall, token: str, staff: str
) -> None:
    status, data = await embedded_hall.desk("service-1", "open", token=token)
    assert status == 200, data
    assert data["staff"] == staff  # the actor is the token's staff id

    status, overview, _ = await embedded_hall.call("GET", OVERVIEW, token=MANAGER_TOKEN)
    desk = next(c for c in overview["counters"] if c["counter"] == "service-1")
    assert desk["staff"] == staff


async def test_an_unknown_branch_is_404_once_signed_in(embedded_hall: Hall) -> None:
    status, data, _ = await embedded_hall.call(
        "GET", "/api/v1/branches/nowhere/overview", token=MANAGER_TOKEN
    )
    assert status == 404
    assert data["code"] == "unknown_branch"
    status, _, _ = await embedded_hall.call("GET", "/api/v1/branches/nowhere/overview", token=None)
    assert status == 401  # nothing is told about branches before signing in


def test_a_token_is_known_by_its_hash_only() -> None:
    digest = hashlib.sha256(b"t0ken").hexdigest()
    auth = StaffAuth([StaffToken("a", "staff", "0" * 64), StaffToken("b", "manager", digest)])
    found = auth.identify("t0ken")
    assert found is not None and found.staff_id == "b"
    assert auth.identify(digest) is None  # the hash itself is not a token
    assert auth.identify("") is None
    assert StaffAuth([]).identify("t0ken") is None
