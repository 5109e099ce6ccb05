"""Reading requests: the branch in the path, JSON bodies, the Idempotency-Key header.

Every bad input is a 422 problem naming the field (`field` member and the
detail), the same shape for bodies, headers and query parameters.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from shared.config.schema import BranchConfig
from shared.contract.base import field_path
from shared.http.problem import ProblemError, problem
from shared.runtime import CONTEXT_KEY

Model = TypeVar("Model", bound=BaseModel)
MAX_KEY_LENGTH = 128


def invalid(field: str, detail: str) -> ProblemError:
    return problem(422, "invalid_request", f"{field}: {detail}", extra={"field": field})


def branch_of(request: web.Request) -> BranchConfig:
    branch_id = request.match_info["branch"]
    config = request.app[CONTEXT_KEY].branches.get(branch_id)
    if config is None:
        raise problem(404, "unknown_branch", f"no branch {branch_id!r} here")
    return config


async def body_of(request: web.Request, model: type[Model]) -> Model:
    """The JSON body as `model`; an empty body is `{}` (every field optional or not)."""
    raw = await request.read()
    data: Any = {}
    if raw.strip():
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise invalid("(body)", f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise invalid("(body)", "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first: Any = exc.errors(include_url=False)[0]
        raise invalid(field_path(tuple(first["loc"])), str(first["msg"])) from exc


def idempotency_key(request: web.Request) -> str | None:
    """The command id a client chose, so that a retried request is the same command."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    return key
