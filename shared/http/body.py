"""Reading a JSON request body into a model: a bad field is 422 naming the field.

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
from pydantic import BaseModel, ValidationError

from shared.contract.base import field_path
from shared.http.problem import ProblemError, problem

Model = TypeVar("Model", bound=BaseModel)
WHOLE_BODY = "(body)"


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
