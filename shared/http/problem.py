"""Errors as `application/problem+json` (docs/architecture.md, "Events and routes").

`{"type", "title", "status", "detail", "code"}`. Handlers raise `problem(...)`;
the middleware turns aiohttp's own errors (unknown route, wrong method) into
the same shape, so clients only ever parse one kind of error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

PROBLEM_CONTENT_TYPE = "application/problem+json"

log = structlog.stdlib.get_logger("qms.http")


def problem_response(
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """`extra` adds extension members (RFC 9457), e.g. `opens_at` with `closed`."""
    phrase = title or HTTPStatus(status).phrase
    body: dict[str, Any] = dict(extra or {})
    body.update(type=f"about:blank#{code}", title=phrase, status=status, detail=detail, code=code)
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document (via the middleware)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def problem(
    status: int,
    code: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemError:
    return ProblemError(status, code, detail, extra, headers)


def _code(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as exc:
        return problem_response(
            exc.status, exc.code, exc.detail, extra=exc.extra, headers=exc.headers
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem_response(exc.status, _code(exc.status), exc.reason)
        # Keep what the client needs from the original (e.g. Allow on a 405).
        for header in ("Allow", "Retry-After"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except Exception:
        log.exception("request failed", method=request.method, path=request.path)
        return problem_response(500, "internal_error", "the server could not answer this request")
