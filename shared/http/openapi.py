"""The API description: every route declared once, and served as an OpenAPI 3.1 document.

A service adds each of its routes with `route(app, method, path, handler,
summary=..., replies=[...], ...)`: that one declaration adds the aiohttp
route and describes it in the app's registry (`API_KEY`, made by the kit):
method, path, summary, the request model `json_body` validates with, the
responses, the problem+json codes, the parameters, the staff role it needs.
So no route is served without being described. The document is built from
the declarations at the first `GET /api/v1/openapi.json`
(shared/http/docs_page.py), with the request and response models' JSON
schemas under `components.schemas`.

Some problems follow from the declaration itself, so no route forgets them:
a `{branch}` in the path may be 404 `unknown_branch`; a request model answers
a bad body as its `BodyRules` say (and one not sent as JSON with 415);
`idempotent` adds the `Idempotency-Key` header and its two problems; a
staff route is 401 without a valid token (403 for a staff token on a
manager route, 429 after too many wrong ones); a WebSocket is 403 for a
page of another origin.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.config.settings import Role
from shared.http.body import BodyRules
from shared.http.idempotency import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY
from shared.http.openapi_parts import (
    COMPONENTS,
    PROBLEM_SCHEMA,
    Json,
    Param,
    Reply,
    SchemaRefs,
    page,
    problem_document,
    query,
    reply_document,
)

__all__ = ["API_KEY", "Api", "Operation", "Param", "Reply", "combine", "page", "query", "route"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Errors = Mapping[int, Iterable[str]]  # status -> the problem codes answered with it

OPENAPI_VERSION = "3.1.0"
BEARER = "staffToken"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    replies: tuple[Reply, ...]
    description: str = ""
    tag: str = ""
    request: type[BaseModel] | None = None
    rules: BodyRules | None = None  # how a bad body is answered; with `request`
    request_required: bool = True
    errors: Errors = field(default_factory=dict)
    params: tuple[Param, ...] = ()
    role: Role | None = None  # a staff token of this role (or higher) is needed
    idempotent: bool = False  # takes Idempotency-Key

    @property
    def placeholders(self) -> list[str]:
        return _PLACEHOLDER.findall(self.path)

    @property
    def template(self) -> str:
        """The path as OpenAPI writes it: `{name}` without aiohttp's `:regex`."""
        return _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", self.path)

    def problems(self) -> dict[int, list[str]]:
        """Every problem code this route may answer with, by status, the implied ones too."""
        found: dict[int, list[str]] = {}

        def add(status: int, *codes: str) -> None:
            known = found.setdefault(status, [])
            known.extend(c for c in codes if c not in known)

        if "branch" in self.placeholders:
            add(404, "unknown_branch")
        if self.role is not None:
            add(401, "unauthorized")
            if self.role == "manager":
                add(403, "forbidden")
            # Too many wrong tokens from one address (the kit's token slow-down).
            add(429, "too_many_wrong_tokens")
        if any(reply.status == 101 for reply in self.replies):
            # A WebSocket opened by a page of another site (the kit's Origin check).
            add(403, "origin_not_allowed")
        if self.request is not None and self.rules is not None:
            # A body not sent as application/json (the kit's JSON-only rule).
            add(415, "unsupported_media_type")
            if self.rules.not_json is not None:
                add(*self.rules.not_json)
            add(422, self.rules.invalid_code)
        if self.idempotent:
            add(400, "invalid_idempotency_key")
            add(422, "idempotency_key_reused")
        for status, codes in self.errors.items():
            add(status, *codes)
        return dict(sorted(found.items()))


class Api:
    """A service's routes and their description; `route` adds both at once.

    `path_values`: the values a path parameter may take in this deployment
    (the configured branches, desks, areas), listed as its `enum`.
    """

    def __init__(
        self,
        title: str,
        version: str,
        description: str = "",
        path_values: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.path_values = {k: sorted(set(v)) for k, v in (path_values or {}).items()}
        self.path_descriptions: dict[str, str] = dict(PATH_DESCRIPTIONS)
        self.operations: list[Operation] = []
        self._document: Json | None = None

    def add(self, app: web.Application, operation: Operation) -> Operation:
        """Serve `operation.handler` at its method and path, and describe it."""
        if any(
            op.method == operation.method and op.path == operation.path for op in self.operations
        ):
            raise ValueError(f"{operation.method} {operation.path} is declared twice")
        if operation.method == "GET":
            app.router.add_get(operation.path, operation.handler)  # and HEAD, as aiohttp does
        else:
            app.router.add_route(operation.method, operation.path, operation.handler)
        self.operations.append(operation)
        self._document = None
        return operation

    def document(self) -> Json:
        if self._document is None:
            self._document = self._build()
        return self._document

    def _build(self) -> Json:
        pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = []
        for op in self.operations:
            if op.request is not None:
                pairs.append((op.request, "validation"))
            pairs.extend((r.model, "serialization") for r in op.replies if r.model is not None)
        refs, top = models_json_schema(pairs, ref_template=COMPONENTS + "{model}")
        schemas: Json = {"Problem": PROBLEM_SCHEMA, **top.get("$defs", {})}
        paths: Json = {}
        for op in self.operations:
            paths.setdefault(op.template, {})[op.method.lower()] = self._operation(op, refs)
        tags = sorted({op.tag for op in self.operations if op.tag})
        document: Json = {
            "openapi": OPENAPI_VERSION,
            "info": {"title": self.title, "version": self.version},
            "tags": [{"name": tag} for tag in tags],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    BEARER: {
                        "type": "http",
                        "scheme": "bearer",
                        "description": 'A staff token (README, "Staff tokens"): '
                        "role `staff`, or `manager` for demand, pauses and the manager page.",
                    }
                },
            },
        }
        if self.description:
            document["info"]["description"] = self.description
        return document

    def _operation(self, op: Operation, refs: SchemaRefs) -> Json:
        described: Json = {
            "operationId": _operation_id(op),
            "summary": op.summary,
            "parameters": [p.document() for p in self._parameters(op)],
            "responses": {},
        }
        if op.description:
            described["description"] = op.description
        if op.tag:
            described["tags"] = [op.tag]
        if op.request is not None:
            described["requestBody"] = {
                "required": op.request_required,
                "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
            }
        if op.role is not None:
            described["security"] = [{BEARER: []}]
            described["description"] = (
                f"Needs a `{op.role}` token. " + described.get("description", "")
            ).strip()
        responses: Json = described["responses"]
        for reply in op.replies:
            responses[str(reply.status)] = reply_document(reply, refs)
        for status, codes in op.problems().items():
            problem = problem_document(status, codes)
            same = responses.get(str(status))
            if same is not None:  # e.g. a page's 404 is a page, the unknown branch a problem
                problem["description"] = f"{same['description']}; or {problem['description']}"
                problem["content"] = {**same.get("content", {}), **problem["content"]}
            responses[str(status)] = problem
        return described

    def _parameters(self, op: Operation) -> list[Param]:
        declared = {p.name: p for p in op.params}
        params = []
        for name in op.placeholders:
            param = declared.pop(name, None)
            if param is None:
                schema: Json = {"type": "string"}
                if self.path_values.get(name):
                    schema = {"type": "string", "enum": self.path_values[name]}
                description = self.path_descriptions.get(name, name.replace("_", " "))
                param = Param(name, "path", description, schema, True)
            params.append(param)
        params.extend(declared.values())
        if op.idempotent:
            params.append(IDEMPOTENCY_PARAM)
        return params


PATH_DESCRIPTIONS = {
    "branch": "The branch's id (its branch file).",
    "counter": "The desk's id.",
    "area": "The area's id.",
    "ticket_id": "The ticket's id (from its 201).",
    "appointment_id": "The booking's id (from its 201).",
}

IDEMPOTENCY_PARAM = Param(
    IDEMPOTENCY_HEADER,
    "header",
    "Makes a retried request the same command (use a UUID); "
    "the same key for another request is 422 `idempotency_key_reused`.",
    {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
)


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", op.template.replace("/api/v1/branches/", "/")).strip("_")
    return f"{op.method.lower()}_{words}"


API_KEY = web.AppKey("qms.api", Api)


def combine(*parts: Errors) -> dict[int, list[str]]:
    """Problem codes by status from several sources, in order, each code once."""
    found: dict[int, list[str]] = {}
    for part in parts:
        for status, codes in part.items():
            known = found.setdefault(status, [])
            known.extend(c for c in codes if c not in known)
    return found


def route(
    app: web.Application,
    method: str,
    path: str,
    handler: Handler,
    *,
    summary: str,
    replies: Iterable[Reply],
    description: str = "",
    tag: str = "",
    request: type[BaseModel] | None = None,
    rules: BodyRules | None = None,
    request_required: bool = True,
    errors: Errors | None = None,
    params: Iterable[Param] = (),
    role: Role | None = None,
    idempotent: bool = False,
) -> Operation:
    """Serve `handler` at `method path` in `app` and describe it in the app's document."""
    operation = Operation(
        method=method.upper(),
        path=path,
        handler=handler,
        summary=summary,
        replies=tuple(replies),
        description=description,
        tag=tag,
        request=request,
        rules=rules,
        request_required=request_required,
        errors=dict(errors or {}),
        params=tuple(params),
        role=role,
        idempotent=idempotent,
    )
    return app[API_KEY].add(app, operation)
