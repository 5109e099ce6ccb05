"""JSON request bodies: only `application/json` is read, and a bad field is 422 naming it.

**Only JSON.** A request with a body (POST, PUT, PATCH, DELETE, any method
but GET, HEAD and OPTIONS) whose `Content-Type` is not `application/json`
(parameters such as `charset` aside; text/plain, a form, multipart, or none
at all) is 415 `unsupported_media_type` naming the expected type, before
any handler runs (`json_only_middleware`, installed by the service kit). So
no other site's page can post to the APIs with a plain HTML form or a
"simple" cross-origin fetch: sending JSON takes a CORS preflight, which
these services never grant. A request without a body (staff `.../close`,
`call-next`) needs no `Content-Type`.

The problem carries `field` (a dotted path, `(body)` for the body as a whole),
a detail that starts with it, and `errors` (every bad field). The two JSON
APIs keep the codes they document: the citizen API answers a body that is
not a JSON object with 400 `bad_json` and a bad field with `invalid_field`;
the staff API answers both with 422 `invalid_request` and reads an empty
body as `{}` (its actions mostly take none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ValidationError

from shared.contract.base import field_path
from shared.http.problem import ProblemError, problem

Model = TypeVar("Model", bound=BaseModel)
WHOLE_BODY = "(body)"
JSON_TYPE = "application/json"
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class BodyRules:
    """What an API calls a bad body (see the module's docstring)."""

    invalid_code: str
    # None: not JSON is a bad field too (422, `(body)`).
    not_json: tuple[int, str] | None = None
    empty_is_object: bool = False


CITIZEN_BODY = BodyRules(invalid_code="invalid_field", not_json=(400, "bad_json"))
STAFF_BODY = BodyRules(invalid_code="invalid_request", empty_is_object=True)


def invalid_field(
    code: str, field: str, detail: str, errors: list[dict[str, str]] | None = None
) -> ProblemError:
    """422 naming `field`: bodies, headers and query parameters alike."""
    extra: dict[str, Any] = {"field": field}
    if errors is not None:
        extra["errors"] = errors
    return problem(422, code, f"{field}: {detail}", extra=extra)


def _not_json(rules: BodyRules, detail: str) -> ProblemError:
    if rules.not_json is None:
        return invalid_field(rules.invalid_code, WHOLE_BODY, detail)
    status, code = rules.not_json
    return problem(status, code, f"the body {detail}")


def media_type(content_type: str | None) -> str:
    """`text/plain; charset=utf-8` -> `text/plain`; "" for none."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def require_json(request: web.BaseRequest) -> None:
    """415 when `request` carries a body that is not declared `application/json`."""
    if request.method in _NO_BODY_METHODS or not request.body_exists:
        return
    sent = media_type(request.headers.get("Content-Type"))
    if sent == JSON_TYPE:
        return
    detail = f"the body must be {JSON_TYPE} (Content-Type: {JSON_TYPE}), not {sent or 'undeclared'}"
    raise problem(
        415,
        "unsupported_media_type",
        detail,
        extra={"field": "Content-Type", "expected": JSON_TYPE},
        headers={"Accept-Post": JSON_TYPE} if request.method == "POST" else None,
    )


@web.middleware
async def json_only_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`require_json` for every request that found a route (an unknown one stays a 404)."""
    if request.match_info.http_exception is None:
        require_json(request)
    return await handler(request)


async def json_body(request: web.Request, model: type[Model], rules: BodyRules) -> Model:
    """The body as `model`, or the problem `rules` give for it."""
    raw = await request.read()
    data: Any = {}
    if raw.strip() or not rules.empty_is_object:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _not_json(rules, f"is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _not_json(rules, "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": field_path(tuple(e["loc"])), "message": str(e["msg"])}
            for e in exc.errors(include_url=False)
        ]
        first = errors[0]
        raise invalid_field(rules.invalid_code, first["field"], first["message"], errors) from exc
