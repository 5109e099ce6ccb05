"""The pieces of an API description: parameters, answers, and how each is written in OpenAPI.

shared/http/openapi.py declares routes with these and builds the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

Json = dict[str, Any]
# What pydantic's models_json_schema answers: (model, mode) -> the schema or its $ref.
SchemaRefs = Mapping[tuple[Any, JsonSchemaMode], Json]

PROBLEM_MEDIA_TYPE = "application/problem+json"
COMPONENTS = "#/components/schemas/"

PROBLEM_SCHEMA: Json = {
    "type": "object",
    "description": "An error (RFC 9457); `code` tells the kind, extension members add detail.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["about:blank#unknown_branch"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {
            "type": "string",
            "description": "The bad input: a body field (dotted path), a parameter or a header.",
        },
        "errors": {
            "type": "array",
            "description": "Every bad field of the body.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter."""

    name: str
    where: Literal["path", "query", "header"]
    description: str
    schema: Json = field(default_factory=lambda: {"type": "string"})
    required: bool = False

    def document(self) -> Json:
        return {
            "name": self.name,
            "in": self.where,
            "description": self.description,
            "required": self.required or self.where == "path",
            "schema": self.schema,
        }


def query(
    name: str, description: str, schema: Json | None = None, *, required: bool = False
) -> Param:
    return Param(name, "query", description, schema or {"type": "string"}, required)


@dataclass(frozen=True)
class Reply:
    """One success response: its body is `model`'s (serialised) or `schema`, as `media_type`."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    schema: Json | None = None
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> what it says
    # The same answer in other media types (media type -> schema), e.g. text/csv.
    alternatives: Mapping[str, Json] = field(default_factory=dict)


def page(status: int, description: str) -> Reply:
    """An HTML page."""
    return Reply(status, description, schema={"type": "string"}, media_type="text/html")


def reply_document(reply: Reply, refs: SchemaRefs) -> Json:
    described: Json = {"description": reply.description}
    schema = refs[(reply.model, "serialization")] if reply.model is not None else reply.schema
    if schema is not None:
        described["content"] = {reply.media_type: {"schema": schema}}
        for media_type, other in reply.alternatives.items():
            described["content"][media_type] = {"schema": other}
    if reply.headers:
        described["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in reply.headers.items()
        }
    return described


def problem_document(status: int, codes: list[str]) -> Json:
    schema: Json = {
        "allOf": [
            {"$ref": COMPONENTS + "Problem"},
            {"properties": {"code": {"enum": codes}}},
        ]
    }
    described: Json = {
        "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{c}`" for c in codes),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
    }
    if status in (429, 503):
        described["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
        }
    if status == 401:
        described["headers"] = {
            "WWW-Authenticate": {
                "description": '`Bearer realm="qms"`',
                "schema": {"type": "string"},
            }
        }
    return described
