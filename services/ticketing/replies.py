"""How the citizen API answers: JSON never cached, and the one body of a ticket just made.

A ticket taken at the kiosk and one a check-in issued answer with the same
201 body (`created_ticket`), so the kiosk and the phone show both alike.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from shared.config.schema import BranchConfig
from shared.config.settings import Settings
from shared.http.urls import ticket_urls
from shared.projection import area_name, ticket_path

NO_STORE = {"Cache-Control": "no-store"}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


def created_ticket(
    request: web.Request,
    settings: Settings,
    config: BranchConfig,
    result: dict[str, Any],
    status: int = 201,
) -> web.Response:
    """The engine's answer for a new ticket, as the citizen API gives it, with `Location`.

    An appointment's ticket also carries `appointment_id` and `appointment_at`.
    """
    ticket_id = str(result["ticket_id"])
    service = config.service(str(result["service"]))
    location = ticket_path(config.id, ticket_id)
    body = {
        "ticket_id": ticket_id,
        "number": result["number"],
        "service": result["service"],
        "area": result["area"],
        "position": result.get("position"),
        "estimated_wait_s": result.get("estimated_wait_s"),
        "issued_at": result["issued_at"],
        "status_url": location,
        "service_name": service.name.model_dump() if service is not None else None,
        "area_name": area_name(config, str(result["area"])),
        "phone_url": ticket_urls(request, settings, config.id, ticket_id).page_url,
    }
    for field in ("appointment_id", "appointment_at"):
        if field in result:
            body[field] = result[field]
    return json_response(body, status=status, headers={"Location": location})
